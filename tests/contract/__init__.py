"""The CRM port contract suite (`crm_contract.CrmContract`) and its run against each adapter."""
