"""crmwh: the command line of the CRM analytics warehouse."""
