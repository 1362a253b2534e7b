from doudi_gateway.parsing import install as _install_parser

_install_parser()
