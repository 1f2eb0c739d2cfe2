package dpdp.consent

# Section 8(2) - Data Processors act only under a valid contract.

# METADATA
# title: Data Processor needs a contract
# description: A Data Fiduciary may engage a Data Processor to process personal data on its behalf only under a valid contract. Since 2.0.0 a processing request naming a processor without a contract reference is blocked (it was escalated to the Data Protection Officer up to 1.1.0).
# related_resources:
#   - ref: https://www.meity.gov.in/data-protection-framework
#     description: DPDP Act 2023, Section 8 (general obligations of Data Fiduciary)
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 8(2)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 8(1)"}
#   severity: critical
processor_contract_missing contains reason if {
	processor_engaged
	not processor_contract_documented
	reason := {
		"rule": "processor_contract_missing",
		"citation": "DPDP Act 2023 Section 8(2)",
		"message": sprintf("Data Processor %v is engaged for request %v without a contract reference", [object.get(input.processor, "name", "<unnamed>"), request_id]),
	}
}

# METADATA
# title: Data Processor contract must be in force
# description: The contract under which the Data Processor acts must still be valid at the time of the request; an expired contract goes to the Data Protection Officer.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 8(2)"}
#   severity: high
processor_contract_expired contains reason if {
	processor_contract_documented
	timestamp_ns(input.processor.contract_valid_until) < request_ns
	reason := {
		"rule": "processor_contract_expired",
		"citation": "DPDP Act 2023 Section 8(2)",
		"message": sprintf("contract %v of Data Processor %v ended at %v, before request %v", [input.processor.contract_ref, object.get(input.processor, "name", "<unnamed>"), input.processor.contract_valid_until, request_id]),
	}
}
