"""Seeding at start-up (`--init`): declarative seed files and init scripts.

A client of the running services: it calls their operations in-process (as the gateway does, with
the same checks) and never imports the registry or the listeners; the composition root hands it the
built services.
"""

from headwater.seeding.document import SeedError
from headwater.seeding.seeder import Seeding

__all__ = ["SeedError", "Seeding"]
