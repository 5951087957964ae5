"""pyexec_mpl - the sandbox's matplotlib backend.

Selected by MPLBACKEND=module://pyexec_mpl.  Agg does the drawing.
show() sends every open figure to the runner as a PNG and closes it, as
Jupyter's inline backend does; the runner sends the figures still open
when the program ends the same way (send_figures).  Outside the sandbox,
figures are just closed.
"""
import io

from matplotlib._pylab_helpers import Gcf
from matplotlib.backends.backend_agg import FigureCanvasAgg

try:
    from pyexec_runner import program as _runner
except ImportError:
    _runner = None

FigureCanvas = FigureCanvasAgg


def show(*args, **kwargs):
    """plt.show(): the arguments (block=...) mean nothing here."""
    send_figures()


def send_figures():
    """Sends every open figure, oldest first, and closes them all, even
    when drawing one fails (the error is the program's to see)."""
    managers = Gcf.get_all_fig_managers()
    try:
        for manager in managers:
            if _runner is not None:
                _runner.send_image(
                    lambda figure=manager.canvas.figure: _png(figure))
    finally:
        for manager in managers:
            Gcf.destroy(manager)


def _png(figure):
    buf = io.BytesIO()
    figure.savefig(buf, format="png")
    return buf.getvalue()
