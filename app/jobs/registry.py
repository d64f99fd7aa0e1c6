"""Import every module that defines jobs, so periodic ones register themselves."""
