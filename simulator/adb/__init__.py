"""The device side of the adb protocol: transport, authentication and the services adbd offers.

Public entry point: :func:`simulator.adb.server.serve_device`.
"""
