# METADATA
# title: PMLA 2002 and RBI KYC Direction 2016 - customer due diligence and transaction monitoring
# description: >-
#   Decides whether a customer onboarding or a customer transaction may proceed at a
#   regulated entity (bank). Checks customer identification and verification (officially
#   valid document, PAN or Form 60), sanctions-list screening, Politically Exposed Person
#   handling, risk categorisation and enhanced due diligence, periodic updation of KYC,
#   and the cash-transaction and suspicious-transaction reporting triggers of the
#   PMLA (Maintenance of Records) Rules 2005.
# related_resources:
#   - ref: https://www.rbi.org.in/Scripts/BS_ViewMasDirections.aspx?id=11566
#     description: RBI Master Direction - Know Your Customer (KYC) Direction, 2016
#   - ref: https://fiuindia.gov.in/
#     description: Financial Intelligence Unit - India (CTR and STR reporting)
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rules 3, 8, 9"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Chapters IV to IX"}
#   severity: high
package pmla.kyc

# ---------------------------------------------------------------------------
# Common inputs and helpers
# ---------------------------------------------------------------------------

# METADATA
# title: Customer record
# description: The customer object of the input, or an empty object when absent.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(c)"}
#   severity: low
customer := c if {
	c := object.get(input, "customer", {})
} else := {}

# METADATA
# title: RFC 3339 timestamp format
# description: Shape a timestamp must have before it is parsed (date, time, zone offset).
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
rfc3339_pattern := `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`

# METADATA
# title: Days in each month
# description: >-
#   Days of January to December in a common year, as two-digit strings keyed by the
#   two-digit month, so that the day of an RFC 3339 string compares as a string.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
month_days := {
	"01": "31", "02": "28", "03": "31", "04": "30", "05": "31", "06": "30",
	"07": "31", "08": "31", "09": "30", "10": "31", "11": "30", "12": "31",
}

# METADATA
# title: Century year that is not a leap year
# description: True for years divisible by 100 but not by 400.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
century_common_year(y) if {
	y % 100 == 0
	y % 400 != 0
}

# METADATA
# title: Days in a given month
# description: Number of days (two-digit string) of month mm of year yyyy, Gregorian calendar.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
days_in_month(yyyy, mm) := "29" if {
	mm == "02"
	y := to_number(yyyy)
	y % 4 == 0
	not century_common_year(y)
} else := month_days[mm]

# METADATA
# title: Timestamp is well formed
# description: >-
#   True when the value is a string in RFC 3339 form naming a real calendar date, so that
#   time.parse_rfc3339_ns cannot fail on it.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: low
valid_timestamp(ts) if {
	is_string(ts)
	regex.match(rfc3339_pattern, ts)
	substring(ts, 8, 2) <= days_in_month(substring(ts, 0, 4), substring(ts, 5, 2))
}

# METADATA
# title: Event time
# description: >-
#   The event timestamp in nanoseconds. Every date comparison of this policy is made
#   against it, never against the wall clock, so a decision replays identically.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 4"}
#   severity: medium
event_ns := time.parse_rfc3339_ns(input.event.timestamp) if {
	valid_timestamp(input.event.timestamp)
}

# METADATA
# title: India Standard Time offset
# description: UTC+05:30 in nanoseconds; calendar months are counted in IST.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(B)"}
#   severity: low
ist_offset_ns := 19800000000000

# METADATA
# title: Calendar month in IST
# description: The [year, month] of a nanosecond timestamp, in India Standard Time.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(B)"}
#   severity: low
ist_month(ns) := [y, m] if {
	[y, m, _] := time.date(ns + ist_offset_ns)
}

# METADATA
# title: Event is a transaction
# description: True for transaction events (not onboarding).
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: low
is_transaction_event if event_type == "transaction"

# METADATA
# title: Recognised event types
# description: The event types this policy decides.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: low
event_types := {"onboarding", "transaction"}

# METADATA
# title: Event type
# description: input.event.type, or "(missing)" when absent.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: low
event_type := t if {
	t := input.event.type
} else := "(missing)"

# ---------------------------------------------------------------------------
# Event record, customer identification and verification
# ---------------------------------------------------------------------------

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

# ---------------------------------------------------------------------------
# Sanctions, PEP, risk categorisation and enhanced due diligence
# ---------------------------------------------------------------------------

# METADATA
# title: Customer matches a sanctions list
# description: >-
#   No account may be held or transaction undertaken for an individual or entity on the
#   UNSC sanctions lists (ISIL and Al-Qaida, 1988 Taliban) or designated under Section 51A
#   of the UAPA. Every screening hit not cleared as a false positive blocks the event.
# related_resources:
#   - ref: https://www.rbi.org.in/Scripts/BS_ViewMasDirections.aspx?id=11566
#     description: RBI KYC Direction 2016, Chapter IX (Para 51, UNSC sanctions lists)
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 51"}
#     - {regulation: "UAPA 1967", clause: "Section 51A"}
#   severity: critical
sanctions_list_match contains reason if {
	some hit in customer.screening.sanctions_hits
	disposition := object.get(hit, "disposition", "unreviewed")
	disposition != "false_positive"
	reason := {
		"rule": "sanctions_list_match",
		"citation": "RBI KYC Direction 2016 Para 51; UAPA 1967 Section 51A",
		"message": sprintf("customer matches sanctions list %v entry %v (disposition %v)", [
			object.get(hit, "list", "(unnamed list)"),
			object.get(hit, "entry_id", "(no entry id)"),
			disposition,
		]),
	}
}

# METADATA
# title: Screening service run of the customer
# description: >-
#   Since version 1.1.0, when the event names a run of the bank's sanctions-screening service
#   (customer.screening.service_ref), the run's current result is fetched from the service, so a
#   designation added after the event was assembled still counts. OPA records the response in
#   the decision's nd_builtin_cache, and a replay answers the call from that record.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 51"}
#   severity: low
screening_service_run := http.send({
	"method": "GET",
	"url": concat("", [data.pmla.config.screening_service_url, "/runs/", customer.screening.service_ref]),
	"headers": {"Accept": "application/json"},
	"raise_error": false,
})

# METADATA
# title: Screening service reports a sanctions match
# description: >-
#   A hit in the screening service's current result for the customer's run blocks the event
#   unless it was cleared as a false positive, as a hit carried in the event does.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 51"}
#     - {regulation: "UAPA 1967", clause: "Section 51A"}
#   severity: critical
sanctions_service_match contains reason if {
	screening_service_run.status_code == 200
	some hit in screening_service_run.body.hits
	disposition := object.get(hit, "disposition", "unreviewed")
	disposition != "false_positive"
	reason := {
		"rule": "sanctions_service_match",
		"citation": "RBI KYC Direction 2016 Para 51; UAPA 1967 Section 51A",
		"message": sprintf("screening run %v: customer matches sanctions list %v entry %v (disposition %v)", [
			customer.screening.service_ref,
			object.get(hit, "list", "(unnamed list)"),
			object.get(hit, "entry_id", "(no entry id)"),
			disposition,
		]),
	}
}

# METADATA
# title: Screening service result unavailable
# description: >-
#   When the event names a screening run but the service does not return it (any status but
#   200, or no answer), the screening is not evidenced and the event goes to compliance review.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 51"}
#   severity: high
sanctions_service_unavailable contains reason if {
	customer.screening.service_ref
	not screening_service_run.status_code == 200
	reason := {
		"rule": "sanctions_service_unavailable",
		"citation": "RBI KYC Direction 2016 Para 51",
		"message": sprintf("screening run %v could not be fetched from the screening service (status %v)", [
			customer.screening.service_ref,
			object.get(object.get({"r": screening_service_run}, "r", {}), "status_code", "none"),
		]),
	}
}

# METADATA
# title: Sanctions screening must be evidenced
# description: The event must carry the result of sanctions-list screening of the customer.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 51"}
#   severity: high
sanctions_screening_missing contains reason if {
	object.get(object.get(customer, "screening", {}), "sanctions_screened", false) != true
	reason := {
		"rule": "sanctions_screening_missing",
		"citation": "RBI KYC Direction 2016 Para 51",
		"message": "customer.screening.sanctions_screened is not true: sanctions-list screening is not evidenced",
	}
}

# METADATA
# title: PEP categories treated as politically exposed
# description: >-
#   Screening categories to which the PEP measures apply. Since version 1.1.0 they apply to
#   the PEP and to the PEP's family members and close associates (version 1.0.0: the PEP
#   only).
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(b)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(db)"}
#     - {regulation: "FATF Recommendations", clause: "Recommendation 12"}
#   severity: high
pep_categories_in_scope := {"pep", "family_member", "close_associate"}

# METADATA
# title: Customer PEP category
# description: The customer's PEP screening category, "none" when absent.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41"}
#   severity: low
pep_category := object.get(object.get(customer, "pep", {}), "category", "none")

# METADATA
# title: PEP measures apply
# description: True when the customer's PEP category is in scope of the PEP measures.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41"}
#   severity: medium
pep_in_scope if pep_category in pep_categories_in_scope

# METADATA
# title: Senior management approval recorded
# description: >-
#   True when the PEP relationship is approved by a member of senior management (role list
#   in data.pmla.config.senior_management_roles).
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(iii)"}
#   severity: low
senior_management_approved if {
	approval := customer.pep.senior_management_approval
	approval.approved == true
	approval.approver_role in data.pmla.config.senior_management_roles
}

# METADATA
# title: PEP relationship needs senior management approval
# description: >-
#   Opening an account for a PEP, or continuing one when an existing customer becomes a
#   PEP, needs the approval of senior management; without it the event is escalated.
# related_resources:
#   - ref: https://www.rbi.org.in/Scripts/BS_ViewMasDirections.aspx?id=11566
#     description: RBI KYC Direction 2016, Para 41 (Accounts of Politically Exposed Persons)
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(iii)"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(v)"}
#   severity: high
pep_senior_management_approval_missing contains reason if {
	pep_in_scope
	not senior_management_approved
	reason := {
		"rule": "pep_senior_management_approval_missing",
		"citation": "RBI KYC Direction 2016 Para 41(a)(iii)",
		"message": sprintf("customer PEP category %v requires approval by senior management, none recorded", [pep_category]),
	}
}

# METADATA
# title: PEP source of funds must be established
# description: >-
#   Before a relationship with a PEP (or a family member or close associate) proceeds, the
#   source of funds and wealth must be established; until customer.pep.source_of_funds_verified
#   is true the event is escalated. Added in version 1.1.0.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(i)"}
#     - {regulation: "FATF Recommendations", clause: "Recommendation 12(c)"}
#   severity: high
pep_source_of_funds_unverified contains reason if {
	pep_in_scope
	object.get(customer.pep, "source_of_funds_verified", false) != true
	reason := {
		"rule": "pep_source_of_funds_unverified",
		"citation": "RBI KYC Direction 2016 Para 41(a)(i)",
		"message": sprintf("customer PEP category %v: source of funds and wealth not established", [pep_category]),
	}
}

# METADATA
# title: Customer risk categories
# description: The risk categories every customer must be placed in.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12(a)"}
#   severity: low
risk_categories := {"low", "medium", "high"}

# METADATA
# title: Customer risk category
# description: The customer's risk category, "unassigned" when absent.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12(a)"}
#   severity: low
risk_category := object.get(customer, "risk_category", "unassigned")

# METADATA
# title: Customer must be risk-categorised
# description: Every customer must be categorised as low, medium or high risk.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12(a)"}
#   severity: high
risk_category_unassigned contains reason if {
	not risk_category in risk_categories
	reason := {
		"rule": "risk_category_unassigned",
		"citation": "RBI KYC Direction 2016 Para 12(a)",
		"message": sprintf("customer risk category %v is not one of low, medium, high", [risk_category]),
	}
}

# METADATA
# title: Enhanced due diligence not needed
# description: True when the customer is neither high risk nor a PEP in scope.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12"}
#   severity: low
edd_not_required if {
	risk_category != "high"
	not pep_in_scope
}

# METADATA
# title: Enhanced due diligence needed
# description: True for high-risk customers and for PEPs in scope.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)"}
#   severity: medium
edd_required if not edd_not_required

# METADATA
# title: Enhanced due diligence must be complete
# description: >-
#   High-risk customers and PEPs are subject to enhanced due diligence; until it is
#   recorded as complete the event is escalated to compliance.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(vi)"}
#   severity: high
enhanced_due_diligence_incomplete contains reason if {
	edd_required
	object.get(object.get(customer, "due_diligence", {}), "edd_completed", false) != true
	reason := {
		"rule": "enhanced_due_diligence_incomplete",
		"citation": "RBI KYC Direction 2016 Para 12; Para 41(a)(vi)",
		"message": sprintf("enhanced due diligence required (risk category %v, PEP category %v) but not recorded as complete", [risk_category, pep_category]),
	}
}

# METADATA
# title: High-risk and PEP relationships are under enhanced monitoring
# description: >-
#   An event of a high-risk customer or a PEP that passes every other check proceeds under
#   enhanced ongoing monitoring, recorded for audit.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(iv)"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 12"}
#   severity: medium
enhanced_monitoring_required contains reason if {
	edd_required
	reason := {
		"rule": "enhanced_monitoring_required",
		"citation": "RBI KYC Direction 2016 Para 41(a)(iv)",
		"message": sprintf("customer under enhanced ongoing monitoring (risk category %v, PEP category %v)", [risk_category, pep_category]),
	}
}

# ---------------------------------------------------------------------------
# Cash transaction reporting and structuring
# ---------------------------------------------------------------------------

# METADATA
# title: Cash transaction reporting threshold (INR)
# description: Cash transactions of more than this value are reported to FIU-IND in the CTR.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(A)"}
#   severity: high
ctr_threshold_inr := 1000000

# METADATA
# title: Structuring band floor (INR)
# description: >-
#   Cash transactions from this amount up to the CTR threshold count as "just below the
#   threshold" for the structuring alert (1.0.0: 900000; lowered to 80 % of the threshold).
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#   severity: high
structuring_band_floor_inr := 800000

# METADATA
# title: Structuring look-back window (days)
# description: >-
#   Band transactions within this many days before the event count towards the alert
#   (1.0.0: 7 days; widened to the monthly horizon of Rule 3(1)(B)).
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#   severity: high
structuring_window_days := 30

# METADATA
# title: Structuring minimum count
# description: Number of band cash transactions (current one included) that raises the alert.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#   severity: high
structuring_min_count := 3

# METADATA
# title: Structuring window in nanoseconds
# description: structuring_window_days expressed in nanoseconds.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#   severity: low
structuring_window_ns := ((structuring_window_days * 24) * 3600) * 1000000000

# METADATA
# title: Current cash amount
# description: The INR amount of the current transaction when it is a cash transaction.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(A)"}
#   severity: low
cash_amount := input.transaction.amount_inr if {
	is_transaction_event
	transaction_well_formed
	lower(input.transaction.mode) == "cash"
}

# METADATA
# title: Earlier cash transactions of the customer
# description: >-
#   The customer's recent cash transactions (customer.recent_transactions) with a valid
#   timestamp no later than the event, as {ns, amount}.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(B)"}
#   severity: low
prior_cash_transactions := [{"ns": ns, "amount": t.amount_inr} |
	some t in object.get(customer, "recent_transactions", [])
	is_string(t.mode)
	lower(t.mode) == "cash"
	is_number(t.amount_inr)
	valid_timestamp(t.timestamp)
	ns := time.parse_rfc3339_ns(t.timestamp)
	ns <= event_ns
]

# METADATA
# title: Cash transaction above ten lakh is reported (CTR)
# description: >-
#   A cash transaction of more than ten lakh rupees proceeds, flagged for the monthly Cash
#   Transaction Report to FIU-IND (due by the 15th of the following month).
# related_resources:
#   - ref: https://fiuindia.gov.in/
#     description: FIU-IND reporting formats (CTR)
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(A)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 8(1)"}
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(b)"}
#   severity: medium
cash_transaction_report_required contains reason if {
	cash_amount > ctr_threshold_inr
	reason := {
		"rule": "cash_transaction_report_required",
		"citation": "PML (Maintenance of Records) Rules 2005 Rule 3(1)(A)",
		"message": sprintf("cash transaction of INR %v exceeds INR %v: include in the Cash Transaction Report to FIU-IND", [format_int(cash_amount, 10), format_int(ctr_threshold_inr, 10)]),
	}
}

# METADATA
# title: Connected cash transactions above ten lakh in a month are reported
# description: >-
#   A series of cash transactions each below ten lakh rupees whose total within the calendar
#   month (IST) exceeds ten lakh rupees is reported in the CTR.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(B)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 8(1)"}
#   severity: medium
cash_series_report_required contains reason if {
	cash_amount <= ctr_threshold_inr
	month := ist_month(event_ns)
	earlier := [p.amount | some p in prior_cash_transactions; p.amount <= ctr_threshold_inr; ist_month(p.ns) == month]
	count(earlier) > 0
	total := cash_amount + sum(earlier)
	total > ctr_threshold_inr
	reason := {
		"rule": "cash_series_report_required",
		"citation": "PML (Maintenance of Records) Rules 2005 Rule 3(1)(B)",
		"message": sprintf("%v cash transactions below INR %v total INR %v this calendar month: include in the Cash Transaction Report", [count(earlier) + 1, format_int(ctr_threshold_inr, 10), format_int(total, 10)]),
	}
}

# METADATA
# title: Amount lies in the structuring band
# description: True when a cash amount is at or above the band floor and not above the CTR threshold.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#   severity: low
in_structuring_band(amount) if {
	amount >= structuring_band_floor_inr
	amount <= ctr_threshold_inr
}

# METADATA
# title: Cash structuring below the CTR threshold is escalated for an STR
# description: >-
#   Several cash transactions just below the reporting threshold within a short window
#   suggest structuring to avoid the CTR; the event is escalated to the Principal Officer
#   for a Suspicious Transaction Report (due within seven working days).
# related_resources:
#   - ref: https://fiuindia.gov.in/
#     description: FIU-IND Suspicious Transaction Report
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 2(1)(g)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(D)"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 8(2)"}
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(b)"}
#   severity: high
structuring_suspected contains reason if {
	in_structuring_band(cash_amount)
	related := [p.amount | some p in prior_cash_transactions; in_structuring_band(p.amount); event_ns - p.ns <= structuring_window_ns]
	n := count(related) + 1
	n >= structuring_min_count
	reason := {
		"rule": "structuring_suspected",
		"citation": "PML (Maintenance of Records) Rules 2005 Rule 2(1)(g); Rule 8(2)",
		"message": sprintf("%v cash transactions between INR %v and INR %v within %v days (total INR %v): possible structuring, refer to the Principal Officer for an STR", [
			n,
			format_int(structuring_band_floor_inr, 10),
			format_int(ctr_threshold_inr, 10),
			structuring_window_days,
			format_int(cash_amount + sum(related), 10),
		]),
	}
}

# ---------------------------------------------------------------------------
# Periodic updation of KYC
# ---------------------------------------------------------------------------

# METADATA
# title: Periodic updation interval by risk category (years)
# description: KYC must be updated at least every 2, 8 and 10 years for high, medium and low risk.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 38"}
#   severity: high
rekyc_period_years := {"high": 2, "medium": 8, "low": 10}

# METADATA
# title: Last KYC updation time
# description: customer.kyc.last_updated in nanoseconds.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 38"}
#   severity: low
kyc_last_updated_ns := time.parse_rfc3339_ns(customer.kyc.last_updated) if {
	valid_timestamp(customer.kyc.last_updated)
}

# METADATA
# title: Next periodic updation due
# description: Last updation plus the interval for the customer's risk category, in nanoseconds.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 38"}
#   severity: low
rekyc_due_ns := time.add_date(kyc_last_updated_ns, rekyc_period_years[risk_category], 0, 0)

# METADATA
# title: Periodic updation of KYC overdue
# description: >-
#   A transaction of a customer whose KYC is older than the interval for its risk category
#   is escalated for periodic updation (re-KYC) before it proceeds.
# related_resources:
#   - ref: https://www.rbi.org.in/Scripts/BS_ViewMasDirections.aspx?id=11566
#     description: RBI KYC Direction 2016, Para 38 (Periodic updation)
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 38"}
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(c)"}
#   severity: high
periodic_kyc_update_overdue contains reason if {
	is_transaction_event
	event_ns > rekyc_due_ns
	reason := {
		"rule": "periodic_kyc_update_overdue",
		"citation": "RBI KYC Direction 2016 Para 38",
		"message": sprintf("KYC last updated %v; %v-risk customers must be updated every %v years: periodic updation overdue", [customer.kyc.last_updated, risk_category, rekyc_period_years[risk_category]]),
	}
}

# METADATA
# title: Date of last KYC updation unknown
# description: >-
#   A transaction of an existing customer without a valid customer.kyc.last_updated cannot
#   be checked for periodic updation and is escalated.
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 38"}
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(e)"}
#   severity: medium
kyc_update_date_missing contains reason if {
	is_transaction_event
	not kyc_last_updated_ns
	reason := {
		"rule": "kyc_update_date_missing",
		"citation": "RBI KYC Direction 2016 Para 38",
		"message": "customer.kyc.last_updated is missing or not a valid RFC 3339 date-time: periodic updation cannot be checked",
	}
}

# ---------------------------------------------------------------------------
# Aggregation and decision
# ---------------------------------------------------------------------------

# METADATA
# title: Blocking findings
# description: Findings that stop the onboarding or transaction outright.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(c)"}
#     - {regulation: "UAPA 1967", clause: "Section 51A"}
#   severity: critical
block := {finding |
	some findings in [
		event_timestamp_invalid,
		event_type_unrecognised,
		transaction_details_missing,
		officially_valid_document_missing,
		identity_not_verified,
		pan_or_form60_missing,
		sanctions_list_match,
		sanctions_service_match,
	]
	some finding in findings
}

# METADATA
# title: Escalation findings
# description: Findings that need a human decision (senior management, compliance review, STR desk).
# custom:
#   citations:
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41"}
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 8(2)"}
#   severity: high
escalate := {finding |
	some findings in [
		sanctions_screening_missing,
		sanctions_service_unavailable,
		pep_senior_management_approval_missing,
		pep_source_of_funds_unverified,
		risk_category_unassigned,
		enhanced_due_diligence_incomplete,
		structuring_suspected,
		periodic_kyc_update_overdue,
		kyc_update_date_missing,
	]
	some finding in findings
}

# METADATA
# title: Audit findings
# description: Findings that let the event proceed but must be reported or monitored.
# custom:
#   citations:
#     - {regulation: "PML (Maintenance of Records) Rules 2005", clause: "Rule 3(1)(A)"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 41(a)(iv)"}
#   severity: medium
audit := {finding |
	some findings in [
		cash_transaction_report_required,
		cash_series_report_required,
		enhanced_monitoring_required,
	]
	some finding in findings
}

# METADATA
# title: Outcome by precedence
# description: BLOCK over ESCALATE over APPROVE_WITH_AUDIT over APPROVE.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12"}
#   severity: high
outcome := "BLOCK" if {
	count(block) > 0
} else := "ESCALATE" if {
	count(escalate) > 0
} else := "APPROVE_WITH_AUDIT" if {
	count(audit) > 0
} else := "APPROVE"

# METADATA
# title: Findings that drive each outcome
# description: The findings listed as reasons for a given outcome.
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12(1)(a)"}
#   severity: low
findings_by_outcome := {
	"BLOCK": block,
	"ESCALATE": escalate,
	"APPROVE_WITH_AUDIT": audit,
	"APPROVE": set(),
}

# METADATA
# title: KYC / AML decision
# description: >-
#   Gavel decision for one onboarding or transaction event. The reasons are the findings
#   of the winning outcome, ordered by citation then message.
# entrypoint: true
# custom:
#   citations:
#     - {regulation: "PMLA 2002", clause: "Section 12"}
#     - {regulation: "RBI KYC Direction 2016", clause: "Para 4"}
#   severity: high
decision := {
	"outcome": outcome,
	"reasons": [r | some r in findings_by_outcome[outcome]],
}
