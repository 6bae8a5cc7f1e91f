"""Faithful fakes of outside systems, speaking the real wire format so real clients can be used."""
