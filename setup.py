"""Builds spindle._spindle with the project's CMake for the interpreter running pip.

    pip install --no-build-isolation .

Nothing is downloaded: every dependency is a Debian package (scripts/setup.sh).
"""
import os
import pathlib
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        out = pathlib.Path(self.get_ext_fullpath(ext.name)).resolve()
        build = ROOT / "build-pip"
        cfg = ["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
               f"-DPython_EXECUTABLE={sys.executable}", "-DSPINDLE_BUILD_TESTS=OFF", "-DSPINDLE_BUILD_BENCH=OFF"]
        if subprocess.run(["which", "ninja"], capture_output=True).returncode == 0:
            cfg += ["-G", "Ninja"]
        subprocess.run(cfg, check=True)
        subprocess.run(["cmake", "--build", str(build), "--target", "spindle_python", "-j",
                        str(os.cpu_count() or 2)], check=True)
        built = next((build / "python" / "spindle").glob("_spindle*.so"))
        out.parent.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(built), str(out))


setup(
    packages=["spindle"],
    package_dir={"": "python"},
    ext_modules=[Extension("spindle._spindle", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
