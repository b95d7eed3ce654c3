"""The Android framework model of a simulated device: packages, activities, broadcasts, screen."""
