"""brainstream-client: run a NEST, ANNarchy or NetPyNE network as an actor of a
brainstream co-simulation graph.

    from brainstream_client import Session
    from brainstream_client.nest import NestInterface

    session = Session()                 # connects to $BRAINSTREAM_ENDPOINT
    ...build the network with session.dt_ms, session.config...
    NestInterface(session, {"rM1": {"E": e1, "I": i1}}, spikes_in=...).run()

`wire` implements the message format, `session` the handshake and the
window loop, `nest`, `annarchy` and `netpyne` the adapters.
"""

from .session import Session, SessionError, Window
from . import wire
from .wire import PROTOCOL_VERSION, Series, Spikes

__all__ = ["wire", "Session", "SessionError", "Window", "Series", "Spikes", "PROTOCOL_VERSION"]
__version__ = "0.1.0"
