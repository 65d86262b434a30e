"""pasi_core.spyne_compat: spyne 2.14.0 imports on every supported Python."""
import subprocess
import sys

from pasi_core import spyne_compat


def test_spyne_and_its_six_moves_import_without_warnings_in_a_fresh_interpreter():
    code = ("import warnings; warnings.simplefilter('error');"
            "import pasi_core, spyne;"
            "from spyne.server.wsgi import WsgiApplication;"
            "from spyne.util.six.moves.urllib.parse import unquote;"
            "from spyne.util.six.moves.collections_abc import Iterator;"
            "print(spyne.__version__, unquote('a%20b'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2.14.0 a b"


def test_the_finder_answers_only_for_the_bundled_six_moves():
    spyne_compat.install()
    finder = spyne_compat._FINDER
    assert sys.meta_path.count(finder) == 1
    assert finder.find_spec("spyne.util.six.moves.urllib.parse") is not None
    assert finder.find_spec("spyne.util.six.moves.not_a_move") is None
    assert finder.find_spec("json") is None


def test_install_is_idempotent():
    spyne_compat.install()
    spyne_compat.install()
    assert sys.meta_path.count(spyne_compat._FINDER) == 1


def test_without_the_finder_python_3_12_and_later_cannot_import_spyne():
    """Proves the shim is what makes spyne importable (on 3.11 the old protocol still works)."""
    code = "import spyne.server.wsgi"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if sys.version_info >= (3, 12):
        assert done.returncode != 0 and "six.moves" in done.stderr
    else:
        assert done.returncode == 0
