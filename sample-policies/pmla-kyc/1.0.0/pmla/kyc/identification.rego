package pmla.kyc

# METADATA
# title: Event must carry a valid timestamp
# description: >-
#   The record of a transaction must contain its date; without a parsable event time no
#   record can be kept and no date-based check (re-KYC, structuring) can be made.
# related_resources:
#   - ref: https://fiuindia.gov.in/
#     description: PML (Maintenance of Records) Rules 2005, Rule 4
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: high
event_timestamp_invalid contains reason if {
	not event_ns
	reason := {
		"rule": "event_timestamp_invalid",
		"citation": "PML (Maintenance of Records) Rules 2005 Rule 4",
		"message": "event.timestamp is missing or not a valid RFC 3339 date-time: the record of the event cannot be maintained",
	}
}

# METADATA
# title: Event type must be onboarding or transaction
# description: An event of unknown type cannot be classified, recorded or monitored.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3"}
#   severity: high
event_type_unrecognised contains reason if {
	not event_type in event_types
	reason := {
		"rule": "event_type_unrecognised",
		"citation": "PMLA 2002 Section 12(1)(a)",
		"message": sprintf("event.type %v is not one of onboarding, transaction", [event_type]),
	}
}

# METADATA
# title: Transaction has amount and mode
# description: True when the transaction states a non-negative INR amount and a mode.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
transaction_well_formed if {
	is_number(input.transaction.amount_inr)
	input.transaction.amount_inr >= 0
	is_string(input.transaction.mode)
}

# METADATA
# title: Transaction record must state nature and value
# description: >-
#   The record of a transaction must contain its nature and its amount; a transaction
#   event without amount_inr or mode cannot be recorded or monitored.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: high
transaction_details_missing contains reason if {
	is_transaction_event
	not transaction_well_formed
	reason := {
		"rule": "transaction_details_missing",
		"citation": "PML (Maintenance of Records) Rules 2005 Rule 4",
		"message": "transaction event without a numeric transaction.amount_inr (>= 0) and a transaction.mode",
	}
}

# METADATA
# title: Officially valid document on record
# description: >-
#   True when the customer's KYC record holds an officially valid document of an accepted
#   type (list in data.pmla.config.ovd_types) with a document number.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(d)"}
#   severity: low
ovd_acceptable if {
	ovd := customer.kyc.ovd
	ovd.type in data.pmla.config.ovd_types
	is_string(ovd.number)
	trim_space(ovd.number) != ""
}

# METADATA
# title: Officially valid document required
# description: >-
#   The customer must be identified with an officially valid document (passport, driving
#   licence, proof of possession of Aadhaar, voter ID, NREGA job card, NPR letter).
# related_resources:
#   - ref: https://www.rbi.org.in/Scripts/BS_ViewMasDirections.aspx?id=11566
#     description: RBI KYC Direction 2016, Para 16 (CDD procedure for individuals)
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(c)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 9(4)"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 16"}
#   severity: critical
officially_valid_document_missing contains reason if {
	not ovd_acceptable
	reason := {
		"rule": "officially_valid_document_missing",
		"citation": "PMLA 2002 Section 12(1)(c); PML Rules 2005 Rule 9(4)",
		"message": "no officially valid document of an accepted type with a document number on the customer's KYC record",
	}
}

# METADATA
# title: Identity must be verified
# description: The officially valid document must have been verified before the relationship proceeds.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(c)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 9(1)"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 16"}
#   severity: critical
identity_not_verified contains reason if {
	ovd_acceptable
	object.get(customer.kyc.ovd, "verified", false) != true
	reason := {
		"rule": "identity_not_verified",
		"citation": "PMLA 2002 Section 12(1)(c)",
		"message": sprintf("officially valid document (%v) is on record but not verified", [customer.kyc.ovd.type]),
	}
}

# METADATA
# title: PAN format
# description: Permanent Account Number format (five letters, four digits, one letter).
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 9(4)(b)"}
#   severity: low
pan_pattern := `^[A-Z]{5}[0-9]{4}[A-Z]$`

# METADATA
# title: PAN on record
# description: True when the customer's KYC record holds a well-formed PAN.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 9(4)(b)"}
#   severity: low
pan_valid if {
	is_string(customer.kyc.pan)
	regex.match(pan_pattern, customer.kyc.pan)
}

# METADATA
# title: Form 60 on record
# description: True when the customer has submitted Form No. 60 (Income-tax Rules 1962) in lieu of PAN.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 9(4)(b)"}
#   severity: low
form60_on_record if customer.kyc.form60_submitted == true

# METADATA
# title: PAN or Form 60 required
# description: >-
#   The customer must furnish the Permanent Account Number or Form No. 60; a missing or
#   malformed PAN without Form 60 stops the event.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 9(4)(b)"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 16(b)"}
#   severity: critical
pan_or_form60_missing contains reason if {
	not pan_valid
	not form60_on_record
	reason := {
		"rule": "pan_or_form60_missing",
		"citation": "PML Rules 2005 Rule 9(4)(b); RBI KYC Direction 2016 Para 16(b)",
		"message": "no well-formed PAN (AAAAA9999A) and no Form 60 on the customer's KYC record",
	}
}
