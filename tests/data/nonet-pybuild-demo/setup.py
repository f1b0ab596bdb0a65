from setuptools import setup

setup(name="nonet-pybuild-demo", version="1.0", packages=["nonet_pybuild_demo"],
      entry_points={"console_scripts": ["nonet-pybuild-demo = nonet_pybuild_demo:main"]})
