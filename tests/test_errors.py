import pytest

from gankit.errors import MissingDependencyError, require


def test_missing_optional_package_names_the_pip_command():
    with pytest.raises(MissingDependencyError, match=r"pip install not-a-real-gankit-extra"):
        require("not_a_real_gankit_extra", "not-a-real-gankit-extra", purpose="a test")


def test_present_package_is_returned():
    assert require("json").dumps([1]) == "[1]"


def test_importing_gankit_loads_no_heavy_or_optional_modules():
    """Importing gankit has no side effects: torch and the CLI stay unloaded until used."""
    import subprocess
    import sys

    code = "import sys, gankit; print('torch' in sys.modules, 'click' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
