"""The simulated phone and WeChat backend: places calls to simulated devices over loopback HTTP."""
