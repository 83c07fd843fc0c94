"""The site configuration: one YAML file describing a one-stop desk office.

Validated by pydantic. A wrong file stops start-up with a message naming the file,
the field and the problem (see `load_site_config`).

The package's modules hold one part each: `office` (site, services, desks, clerks,
priorities, calling, offline reserve), `devices`, `rating`, `letters`, `hosting` (HTTP,
broker, database, data folder), `site` (`SiteConfig`: the whole file, its
cross-checks and lookups) and `loader`. Everything is imported from ``server.config``.
"""

from server.config.base import ConfigError, FrozenModel, Percent
from server.config.devices import Device, DeviceKind
from server.config.hosting import BrokerPlacement, BrokerTls, HttpSettings, ServerSettings
from server.config.letters import LetterSettings
from server.config.loader import load_site_config, parse_site_config
from server.config.office import (
    CallingPolicy,
    Clerk,
    Desk,
    OfflineSettings,
    Priority,
    Service,
    SiteInfo,
)
from server.config.rating import (
    DEFAULT_GRADES,
    DEFAULT_TARGETS,
    GradeBand,
    RatingSettings,
    SatisfactionAlert,
)
from server.config.site import SiteConfig
from server.config.uplink import HubUplink

__all__ = [
    "DEFAULT_GRADES",
    "DEFAULT_TARGETS",
    "BrokerPlacement",
    "BrokerTls",
    "CallingPolicy",
    "Clerk",
    "ConfigError",
    "Desk",
    "Device",
    "DeviceKind",
    "FrozenModel",
    "GradeBand",
    "HttpSettings",
    "HubUplink",
    "LetterSettings",
    "OfflineSettings",
    "Percent",
    "Priority",
    "RatingSettings",
    "SatisfactionAlert",
    "ServerSettings",
    "Service",
    "SiteConfig",
    "SiteInfo",
    "load_site_config",
    "parse_site_config",
]
