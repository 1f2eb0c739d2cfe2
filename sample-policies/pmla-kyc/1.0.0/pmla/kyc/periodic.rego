package pmla.kyc

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
