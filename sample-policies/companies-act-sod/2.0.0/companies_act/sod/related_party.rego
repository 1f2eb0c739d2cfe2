package companies_act.sod

# METADATA
# title: Related-party transaction
# description: >-
#   The counterparty is flagged as a related party (section 2(76) of the
#   Companies Act / Reg. 2(1)(zb) of the LODR) and money moves or is booked:
#   a payment or a journal entry. Creating a vendor is not itself a
#   related-party transaction.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.2(76)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 2(1)(zb)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 2(1)(zc)"}
#   severity: medium
related_party_transaction if {
	counterparty.related_party == true
	known_type
	not is_vendor_creation
}

# METADATA
# title: Unlisted company
# description: The company declares itself unlisted (company.listed is false); a missing flag is treated as listed.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 3(1)"}
#   severity: low
unlisted if company.listed == false

# METADATA
# title: Audit committee approval record
# description: The audit_committee_approval object of the request, or an empty object.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2)"}
#   severity: low
ac_approval := input.audit_committee_approval if {
	is_object(input.audit_committee_approval)
} else := {}

# METADATA
# title: Audit committee approval on record
# description: An audit committee approval is cited (approved is true and resolution_ref is non-blank).
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2)"}
#     - {regulation: "Companies Act 2013", clause: "s.177(4)(iv)"}
#   severity: high
ac_recorded if {
	ac_approval.approved == true
	non_blank(ac_approval.resolution_ref)
}

# METADATA
# title: Audit committee approval by independent directors
# description: The cited approval was given only by the audit committee members who are independent directors.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2) proviso"}
#   severity: high
ac_independent if ac_approval.independent_directors_only == true

# METADATA
# title: Related-party transaction needs prior audit committee approval
# description: >-
#   Every related-party transaction of a listed company, and every subsequent
#   material modification, needs the prior approval of the audit committee.
#   Without it the transaction is escalated to the audit committee.
# related_resources:
#   - ref: https://www.sebi.gov.in/legal/regulations.html
#     description: SEBI (Listing Obligations and Disclosure Requirements) Regulations 2015, Regulation 23(2)
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2)"}
#     - {regulation: "Companies Act 2013", clause: "s.177(4)(iv)"}
#   severity: high
rpt_audit_committee_approval_missing contains reason if {
	related_party_transaction
	not unlisted
	not ac_recorded
	reason := finding(
		"rpt_audit_committee_approval_missing",
		"SEBI LODR 2015 Reg. 23(2)",
		sprintf("transaction with related party %v has no prior audit committee approval; escalate to the audit committee", [json.marshal(object.get(counterparty, "name", null))]),
	)
}

# METADATA
# title: Related-party approval only by independent directors
# description: >-
#   Only the audit committee members who are independent directors may
#   approve related-party transactions. An approval not recorded as given by
#   independent directors only does not satisfy Reg. 23(2); the transaction
#   goes back to the audit committee. Introduced in 1.1.0.
# related_resources:
#   - ref: https://www.sebi.gov.in/legal/regulations.html
#     description: SEBI (LODR) (Sixth Amendment) Regulations 2021, proviso to Regulation 23(2)
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(2) proviso"}
#     - {regulation: "Companies Act 2013", clause: "s.177(4)(iv)"}
#   severity: high
rpt_approval_not_independent contains reason if {
	related_party_transaction
	not unlisted
	ac_recorded
	not ac_independent
	reason := finding(
		"rpt_approval_not_independent",
		"SEBI LODR 2015 Reg. 23(2) proviso",
		sprintf("audit committee approval %v for the transaction with related party %v is not recorded as given by independent directors only; escalate to the audit committee", [ac_approval.resolution_ref, json.marshal(object.get(counterparty, "name", null))]),
	)
}

# METADATA
# title: Arm's length, ordinary course related-party transaction
# description: The related-party transaction is declared both at arm's length and in the ordinary course of business (the section 188(1) exemption from board consent).
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.188(1)"}
#   severity: medium
rpt_arms_length_ordinary_course if {
	counterparty.arms_length == true
	counterparty.ordinary_course == true
}

# METADATA
# title: Related-party transaction outside the ordinary course needs board consent
# description: >-
#   A related-party transaction not declared both at arm's length and in the
#   ordinary course of business needs the consent of the Board by a
#   resolution at a meeting; without one it is escalated to the Board.
# related_resources:
#   - ref: https://www.mca.gov.in/content/mca/global/en/acts-rules/ebooks/acts.html
#     description: Companies Act 2013, section 188(1)
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.188(1)"}
#     - {regulation: "Companies (Meetings of Board and its Powers) Rules 2014", clause: "Rule 15"}
#   severity: high
rpt_board_approval_missing contains reason if {
	related_party_transaction
	not rpt_arms_length_ordinary_course
	not board_approved
	reason := finding(
		"rpt_board_approval_missing",
		"Companies Act 2013 s.188(1)",
		sprintf("transaction with related party %v is not declared at arm's length and in the ordinary course of business and cites no board resolution; escalate to the Board", [json.marshal(object.get(counterparty, "name", null))]),
	)
}

# METADATA
# title: Related-party transaction to be registered and disclosed
# description: >-
#   Every related-party transaction that goes ahead is entered in the register
#   of contracts with related parties and included in the half-yearly
#   related-party disclosure to the stock exchanges; flagged for audit.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.189(1)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(9)"}
#   severity: low
rpt_disclosure_required contains reason if {
	related_party_transaction
	reason := finding(
		"rpt_disclosure_required",
		"Companies Act 2013 s.189(1)",
		sprintf("transaction with related party %v (%v): enter in the register of contracts (Form MBP-4) and include in the half-yearly disclosure under SEBI LODR Reg. 23(9)", [json.marshal(object.get(counterparty, "name", null)), object.get(counterparty, "relationship", "relationship not stated")]),
	)
}

# METADATA
# title: Omnibus audit committee approval
# description: The cited audit committee approval is an omnibus approval for repetitive related-party transactions (type "omnibus"); anything else is a specific approval.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)"}
#   severity: medium
omnibus if ac_approval.type == "omnibus"

# METADATA
# title: Omnibus approval per-transaction limit (INR)
# description: >-
#   The maximum amount per transaction the omnibus approval allows:
#   its max_amount, capped at Rs 1 crore when the approval covers
#   transactions whose need could not be foreseen (unforeseen is true).
#   Undefined when the approval states no usable limit.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(c)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(c) proviso"}
#   severity: high
omnibus_limit := min({ac_approval.max_amount, omnibus_unforeseen_cap}) if {
	ac_approval.unforeseen == true
	is_number(ac_approval.max_amount)
} else := omnibus_unforeseen_cap if {
	ac_approval.unforeseen == true
} else := ac_approval.max_amount if {
	is_number(ac_approval.max_amount)
}

# METADATA
# title: Date in nanoseconds
# description: A YYYY-MM-DD date (or the date prefix of a timestamp) as nanoseconds since the epoch at midnight UTC.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(e)"}
#   severity: low
date_ns(s) := time.parse_rfc3339_ns(concat("", [substring(s, 0, 10), "T00:00:00Z"]))

# METADATA
# title: Omnibus approval relied on
# description: A listed company's related-party transaction relies on a recorded omnibus audit committee approval.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)"}
#   severity: medium
omnibus_in_use if {
	related_party_transaction
	not unlisted
	ac_recorded
	omnibus
}

# METADATA
# title: Transaction inside the omnibus approval's period
# description: The transaction date lies between the approval's valid_from and valid_until dates, both inclusive.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(c)"}
#   severity: high
omnibus_period_covers if {
	iso_date(ac_approval.valid_from)
	iso_date(ac_approval.valid_until)
	valid_transaction_date
	substring(ac_approval.valid_from, 0, 10) <= transaction_date
	transaction_date <= substring(ac_approval.valid_until, 0, 10)
}

# METADATA
# title: Omnibus approval outside its period
# description: >-
#   An omnibus approval covers only transactions within the period it
#   specifies; a transaction dated outside it (or an approval without a
#   stated period) needs a fresh approval from the audit committee.
# related_resources:
#   - ref: https://www.sebi.gov.in/legal/regulations.html
#     description: SEBI LODR 2015, Regulation 23(3) (omnibus approval)
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(c)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(e)"}
#   severity: high
rpt_omnibus_period_lapsed contains reason if {
	omnibus_in_use
	not omnibus_period_covers
	reason := finding(
		"rpt_omnibus_period_lapsed",
		"SEBI LODR 2015 Reg. 23(3)(c)",
		sprintf("omnibus approval %v (valid %v to %v) does not cover a transaction dated %v; escalate to the audit committee for fresh approval", [ac_approval.resolution_ref, object.get(ac_approval, "valid_from", "unstated"), object.get(ac_approval, "valid_until", "unstated"), object.get(input, "transaction_date", "unstated")]),
	)
}

# METADATA
# title: Omnibus period longer than one year
# description: The approval's valid_until falls more than one calendar year after its valid_from.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(e)"}
#   severity: high
omnibus_overlong if {
	iso_date(ac_approval.valid_from)
	iso_date(ac_approval.valid_until)
	date_ns(ac_approval.valid_until) > time.add_date(date_ns(ac_approval.valid_from), 1, 0, 0)
}

# METADATA
# title: Omnibus approval valid for more than one year
# description: An omnibus approval may be valid for at most one year; one granted for longer does not cover the transaction.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(e)"}
#   severity: high
rpt_omnibus_period_too_long contains reason if {
	omnibus_in_use
	omnibus_overlong
	reason := finding(
		"rpt_omnibus_period_too_long",
		"SEBI LODR 2015 Reg. 23(3)(e)",
		sprintf("omnibus approval %v runs from %v to %v, more than one year; escalate to the audit committee for fresh approval", [ac_approval.resolution_ref, ac_approval.valid_from, ac_approval.valid_until]),
	)
}

# METADATA
# title: Transaction above the omnibus approval's limit
# description: >-
#   An omnibus approval must state the maximum value of the transactions it
#   covers (at most Rs 1 crore each where their need could not be foreseen);
#   a transaction above that limit, or relying on an approval with no limit,
#   needs a specific approval.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(c)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(c) proviso"}
#   severity: high
rpt_omnibus_limit_exceeded contains reason if {
	omnibus_in_use
	not omnibus_within_limit
	reason := finding(
		"rpt_omnibus_limit_exceeded",
		"SEBI LODR 2015 Reg. 23(3)(c)",
		sprintf("transaction of INR %v is not within the per-transaction limit of omnibus approval %v (limit: %v); escalate to the audit committee for specific approval", [amount, ac_approval.resolution_ref, omnibus_limit_text]),
	)
}

# METADATA
# title: Omnibus limit as text
# description: The omnibus per-transaction limit for messages, or "none stated".
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(c)"}
#   severity: low
omnibus_limit_text := sprintf("INR %v", [omnibus_limit]) if {
	is_number(omnibus_limit)
} else := "none stated"

# METADATA
# title: Transaction within the omnibus limit
# description: The amount does not exceed the omnibus approval's per-transaction limit.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(c)"}
#   severity: high
omnibus_within_limit if amount <= omnibus_limit

# METADATA
# title: Omnibus transaction for quarterly audit committee review
# description: >-
#   A related-party transaction made under a valid omnibus approval proceeds
#   but is flagged for the audit committee's quarterly review of transactions
#   entered into under each omnibus approval.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(3)(d)"}
#   severity: low
rpt_omnibus_quarterly_review contains reason if {
	omnibus_in_use
	omnibus_period_covers
	not omnibus_overlong
	omnibus_within_limit
	reason := finding(
		"rpt_omnibus_quarterly_review",
		"SEBI LODR 2015 Reg. 23(3)(d)",
		sprintf("transaction made under omnibus approval %v; include in the audit committee's quarterly review", [ac_approval.resolution_ref]),
	)
}

# METADATA
# title: Value of related-party transactions in the financial year (INR)
# description: This transaction plus the earlier transactions with the same related party in the financial year (counterparty.fy_cumulative_value, 0 if absent).
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(1)"}
#   severity: medium
rpt_fy_value := amount + counterparty.fy_cumulative_value if {
	is_number(counterparty.fy_cumulative_value)
	counterparty.fy_cumulative_value >= 0
} else := amount

# METADATA
# title: Materiality threshold for related-party transactions (INR)
# description: >-
#   The lower of Rs 1,000 crore and 10% of the last audited annual
#   consolidated turnover (company.annual_consolidated_turnover); Rs 1,000
#   crore when the turnover is not given.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(1)"}
#   severity: high
material_rpt_threshold := min({material_rpt_absolute_limit, (company.annual_consolidated_turnover * material_rpt_turnover_percent) / 100}) if {
	is_number(company.annual_consolidated_turnover)
	company.annual_consolidated_turnover > 0
} else := material_rpt_absolute_limit

# METADATA
# title: Shareholder approval on record
# description: An ordinary resolution of the shareholders approving the transaction is cited.
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(4)"}
#   severity: high
shareholder_approved if {
	input.shareholder_approval.approved == true
	non_blank(input.shareholder_approval.resolution_ref)
}

# METADATA
# title: Material related-party transaction needs shareholder approval
# description: >-
#   A material related-party transaction of a listed company (alone or with
#   the year's earlier transactions with the party above the materiality
#   threshold) needs prior approval of the shareholders by resolution;
#   without one it is escalated to the Board to convene it. Introduced in 2.0.0.
# related_resources:
#   - ref: https://www.sebi.gov.in/legal/regulations.html
#     description: SEBI LODR 2015, Regulation 23(1) and 23(4)
# custom:
#   citations:
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(4)"}
#     - {regulation: "SEBI LODR 2015", clause: "Reg. 23(1)"}
#     - {regulation: "Companies Act 2013", clause: "s.188(1)"}
#   severity: critical
material_rpt_shareholder_approval_missing contains reason if {
	related_party_transaction
	not unlisted
	rpt_fy_value > material_rpt_threshold
	not shareholder_approved
	reason := finding(
		"material_rpt_shareholder_approval_missing",
		"SEBI LODR 2015 Reg. 23(4)",
		sprintf("transactions with related party %v reach INR %v in the financial year, above the materiality threshold of INR %v, and no shareholder resolution is cited; escalate to the Board to seek shareholder approval", [json.marshal(object.get(counterparty, "name", null)), rpt_fy_value, material_rpt_threshold]),
	)
}
