"""The Qt-free trading engine: events, the bus, subscribers and the components on it."""
