"""The simulated WMPF Android device. Public entry point: :class:`simulator.Simulator`."""
