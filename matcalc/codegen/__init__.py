from .emitter import *  # noqa  (interim)
from .emitter import _OPS, _OPS_CLASSES  # noqa
