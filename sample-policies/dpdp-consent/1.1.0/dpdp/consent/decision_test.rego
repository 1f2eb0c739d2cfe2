package dpdp.consent_test

# Rules are referenced by full path (data.dpdp.consent.X), not through an import alias:
# regorus 0.14.1 leaves a rule undefined when it is reached through an alias and depends
# on rules from modules loaded after this test module (OPA is unaffected).

# ---------------------------------------------------------------- fixtures

req := {
	"id": "PRQ-2026-004512",
	"timestamp": "2026-06-15T11:00:00+05:30",
	"data_fiduciary": {"name": "Kaveri Retail Pvt Ltd", "type": "private"},
	"action": "process",
	"purpose": "order_fulfilment",
	"data_categories": ["name", "phone", "delivery_address"],
	"processing_activities": ["storage", "order_dispatch"],
}

adult := {"id": "DP-KA-0038121", "age": 34}

child := {"id": "DP-KA-0051877", "age": 14}

consent_ok := {
	"id": "CNS-2026-118734",
	"status": "granted",
	"given_by": "data_principal",
	"purposes": ["order_fulfilment", "payment_processing"],
	"data_categories": ["name", "phone", "email", "delivery_address"],
	"given_at": "2026-02-02T10:15:30+05:30",
	"notice": {"id": "NTC-ECOM-v3", "given_at": "2026-02-02T10:14:02+05:30", "language": "kn"},
}

parent_consent := object.union(consent_ok, {
	"given_by": "parent",
	"guardian_verification": {"verified": true, "method": "digilocker_virtual_token", "verified_at": "2026-02-02T10:20:00+05:30"},
})

consent_input := {"request": req, "data_principal": adult, "basis": {"type": "consent"}, "consent": consent_ok}

legit_input(use, ref) := {
	"request": object.union(req, {"purpose": "payroll_processing"}),
	"data_principal": adult,
	"basis": {"type": "legitimate_use", "legitimate_use": use, "documentation_ref": ref},
}

# consent_input with fields of the consent record overridden
with_consent(patch) := object.union(consent_input, {"consent": patch})

# consent_input with the consent record replaced wholesale
replace_consent(c) := {"request": req, "data_principal": adult, "basis": {"type": "consent"}, "consent": c}

rules_of(d) := {r.rule | some r in d.reasons}

# ---------------------------------------------------------------- approve

test_valid_consent_approves if {
	d := data.dpdp.consent.decision with input as consent_input
	d == {"outcome": "APPROVE", "reasons": []}
}

test_documented_employment_use_approves if {
	d := data.dpdp.consent.decision with input as legit_input("employment", "HR-POL-2025-07 clause 4")
	d.outcome == "APPROVE"
}

# ---------------------------------------------------------------- Section 4 lawful basis

test_missing_basis_blocks if {
	d := data.dpdp.consent.decision with input as {"request": req, "data_principal": adult, "consent": consent_ok}
	d.outcome == "BLOCK"
	rules_of(d) == {"lawful_basis_missing"}
}

test_unknown_basis_type_blocks if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"basis": {"type": "contract_necessity"}})
	d.outcome == "BLOCK"
	rules_of(d) == {"lawful_basis_missing"}
	contains(d.reasons[0].message, "contract_necessity")
}

test_missing_purpose_blocks if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"request": {"purpose": " "}})
	d.outcome == "BLOCK"
	rules_of(d) == {"purpose_not_specified"}
}

# ---------------------------------------------------------------- Section 6 consent

test_consent_basis_without_record_blocks if {
	d := data.dpdp.consent.decision with input as {"request": req, "data_principal": adult, "basis": {"type": "consent"}}
	rules_of(d) == {"consent_record_missing"}
	d.reasons[0].citation == "DPDP Act 2023 Section 6(10)"
}

test_pending_consent_blocks if {
	d := data.dpdp.consent.decision with input as with_consent({"status": "pending"})
	d.outcome == "BLOCK"
	rules_of(d) == {"consent_not_granted"}
}

test_withdrawn_status_blocks if {
	d := data.dpdp.consent.decision with input as with_consent({"status": "withdrawn", "withdrawn_at": "2026-05-01T09:00:00+05:30"})
	d.outcome == "BLOCK"
	rules_of(d) == {"consent_withdrawn"}
}

test_withdrawal_time_before_request_blocks_even_if_status_stale if {
	d := data.dpdp.consent.decision with input as with_consent({"withdrawn_at": "2026-06-15T10:59:59+05:30"})
	rules_of(d) == {"consent_withdrawn"}
}

test_withdrawal_after_request_does_not_block if {
	d := data.dpdp.consent.decision with input as with_consent({"withdrawn_at": "2026-06-20T09:00:00+05:30"})
	d.outcome == "APPROVE"
}

test_purpose_outside_consent_blocks if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"request": {"purpose": "marketing_sms"}})
	d.outcome == "BLOCK"
	rules_of(d) == {"consent_purpose_mismatch"}
}

test_data_outside_consent_blocks if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"request": {"data_categories": ["name", "aadhaar_number", "precise_location"]}})
	rules_of(d) == {"consent_data_beyond_scope"}
	contains(d.reasons[0].message, "aadhaar_number, precise_location")
}

test_consent_without_category_list_does_not_limit_data if {
	c := {"id": "CNS-1", "status": "granted", "purposes": ["order_fulfilment"], "given_at": "2026-02-02T10:15:30+05:30", "notice": {"given_at": "2026-02-02T10:14:02+05:30"}}
	d := data.dpdp.consent.decision with input as replace_consent(c)
	not "consent_data_beyond_scope" in rules_of(d)
	d.outcome == "APPROVE"
}

test_expired_consent_blocks if {
	d := data.dpdp.consent.decision with input as with_consent({"expires_at": "2026-06-01T00:00:00+05:30"})
	rules_of(d) == {"consent_expired"}
}

test_consent_older_than_365_days_is_stale if {
	d := data.dpdp.consent.decision with input as with_consent({"given_at": "2025-06-14T10:59:00+05:30", "notice": {"given_at": "2025-06-14T10:58:00+05:30"}})
	d.outcome == "BLOCK"
	rules_of(d) == {"consent_stale"}
}

test_consent_364_days_old_is_not_stale if {
	d := data.dpdp.consent.decision with input as with_consent({"given_at": "2025-06-16T11:00:00+05:30", "notice": {"given_at": "2025-06-16T10:58:00+05:30"}})
	d.outcome == "APPROVE"
}

test_stale_even_with_later_recorded_expiry if {
	d := data.dpdp.consent.decision with input as with_consent({"given_at": "2025-01-05T10:00:00+05:30", "notice": {"given_at": "2025-01-05T09:59:00+05:30"}, "expires_at": "2027-01-05T10:00:00+05:30"})
	rules_of(d) == {"consent_stale"}
}

test_unexpired_consent_approves if {
	d := data.dpdp.consent.decision with input as with_consent({"expires_at": "2027-02-01T00:00:00+05:30"})
	d.outcome == "APPROVE"
}

# ---------------------------------------------------------------- Section 5 notice

test_consent_without_notice_blocks if {
	c := {"id": "CNS-2", "status": "granted", "purposes": ["order_fulfilment"], "given_at": "2026-02-02T10:15:30+05:30"}
	d := data.dpdp.consent.decision with input as replace_consent(c)
	rules_of(d) == {"consent_without_notice"}
	contains(d.reasons[0].message, "notice given_at none")
}

test_notice_after_consent_blocks if {
	d := data.dpdp.consent.decision with input as with_consent({"notice": {"given_at": "2026-02-02T10:30:00+05:30"}})
	rules_of(d) == {"consent_without_notice"}
}

test_unparseable_consent_time_blocks if {
	d := data.dpdp.consent.decision with input as with_consent({"given_at": "02/02/2026 10:15"})
	rules_of(d) == {"consent_timing_unverifiable"}
}

test_missing_request_timestamp_blocks_consent_basis if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"request": {"timestamp": "yesterday"}})
	rules_of(d) == {"consent_timing_unverifiable"}
}

# ---------------------------------------------------------------- Section 7 legitimate uses

test_undocumented_legitimate_use_is_audited if {
	d := data.dpdp.consent.decision with input as legit_input("employment", "")
	d.outcome == "APPROVE_WITH_AUDIT"
	d.reasons == [{
		"rule": "legitimate_use_undocumented",
		"citation": "DPDP Act 2023 Section 7(i)",
		"message": "legitimate use employment is claimed for request PRQ-2026-004512 without a documentation reference",
	}]
}

test_unadopted_legitimate_use_blocks if {
	d := data.dpdp.consent.decision with input as legit_input("disaster_relief", "NDMA flood advisory 2026-07")
	d.outcome == "BLOCK"
	rules_of(d) == {"legitimate_use_not_recognised"}
}

test_public_health_use_adopted_in_1_1_0 if {
	d := data.dpdp.consent.decision with input as legit_input("public_health", "Kerala DHS outbreak notification 2026/DHS/114")
	d.outcome == "APPROVE"
}

test_undocumented_public_health_use_is_audited if {
	d := data.dpdp.consent.decision with input as legit_input("public_health", null)
	d.outcome == "APPROVE_WITH_AUDIT"
	d.reasons[0].citation == "DPDP Act 2023 Section 7(g)"
}

test_voluntary_use_for_the_specified_purpose_approves if {
	i := object.union(legit_input("voluntarily_provided", "ORDER-2026-77812"), {"request": {"purpose": "order_fulfilment"}, "basis": {"provided_for_purpose": "order_fulfilment", "objection_recorded": false}})
	d := data.dpdp.consent.decision with input as i
	d.outcome == "APPROVE"
}

test_voluntary_use_for_another_purpose_blocks if {
	i := object.union(legit_input("voluntarily_provided", "ORDER-2026-77812"), {"request": {"purpose": "catalogue_mailers"}, "basis": {"provided_for_purpose": "order_fulfilment"}})
	d := data.dpdp.consent.decision with input as i
	rules_of(d) == {"voluntary_use_beyond_specified_purpose"}
	d.reasons[0].message == "data was voluntarily provided for order_fulfilment, not for catalogue_mailers"
}

test_voluntary_use_without_recorded_purpose_blocks if {
	d := data.dpdp.consent.decision with input as legit_input("voluntarily_provided", "ORDER-2026-77812")
	rules_of(d) == {"voluntary_use_beyond_specified_purpose"}
	contains(d.reasons[0].message, "an unrecorded purpose")
}

test_voluntary_use_after_objection_blocks if {
	i := object.union(legit_input("voluntarily_provided", "ORDER-2026-77812"), {"basis": {"provided_for_purpose": "payroll_processing", "objection_recorded": true}})
	d := data.dpdp.consent.decision with input as i
	rules_of(d) == {"voluntary_use_objected"}
}

test_legitimate_use_without_ground_blocks if {
	d := data.dpdp.consent.decision with input as {"request": req, "data_principal": adult, "basis": {"type": "legitimate_use"}}
	rules_of(d) == {"legitimate_use_not_recognised"}
	contains(d.reasons[0].message, "missing")
}

test_state_function_by_private_company_blocks if {
	d := data.dpdp.consent.decision with input as legit_input("state_function", "Notification S.O. 1234(E)")
	rules_of(d) == {"legitimate_use_reserved_for_state"}
	d.reasons[0].citation == "DPDP Act 2023 Section 7(c)"
}

test_state_function_by_state_department_approves if {
	i := object.union(legit_input("state_function", "Karnataka Ration Cards Order 2026"), {"request": {"data_fiduciary": {"name": "Department of Food, Civil Supplies and Consumer Affairs, Government of Karnataka", "type": "state"}}})
	d := data.dpdp.consent.decision with input as i
	d.outcome == "APPROVE"
}

# ---------------------------------------------------------------- Section 9 children

test_child_without_guardian_consent_blocks if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"data_principal": child})
	d.outcome == "BLOCK"
	rules_of(d) == {"verifiable_guardian_consent_missing"}
}

test_child_with_unverified_parent_blocks if {
	c := object.union(parent_consent, {"guardian_verification": {"verified": false}})
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"data_principal": child, "consent": c})
	rules_of(d) == {"verifiable_guardian_consent_missing"}
}

test_child_with_verified_parent_consent_approves if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"data_principal": child, "consent": parent_consent})
	d.outcome == "APPROVE"
}

test_targeted_advertising_to_child_blocks_despite_parent_consent if {
	i := object.union(consent_input, {"data_principal": child, "consent": parent_consent, "request": {"processing_activities": ["storage", "targeted_advertising", "tracking"]}})
	d := data.dpdp.consent.decision with input as i
	rules_of(d) == {"child_tracking_or_targeting"}
	contains(d.reasons[0].message, "targeted_advertising, tracking")
}

test_targeted_advertising_to_adult_is_not_a_children_finding if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"request": {"processing_activities": ["targeted_advertising"]}})
	d.outcome == "APPROVE"
}

test_child_medical_emergency_is_exempt_from_guardian_consent if {
	i := {"request": object.union(req, {"purpose": "emergency_treatment"}), "data_principal": child, "basis": {"type": "legitimate_use", "legitimate_use": "medical_emergency", "documentation_ref": "CASUALTY-REG-2026-7781"}}
	d := data.dpdp.consent.decision with input as i
	d.outcome == "APPROVE"
}

test_person_with_lawful_guardian_needs_guardian_consent if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"data_principal": {"id": "DP-KA-0077140", "age": 41, "has_lawful_guardian": true}})
	rules_of(d) == {"verifiable_guardian_consent_missing"}
}

test_missing_age_and_birth_date_escalates if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"data_principal": {"id": "DP-KA-0090001", "age": null}})
	d.outcome == "ESCALATE"
	rules_of(d) == {"age_not_established"}
}

test_unknown_age_in_medical_emergency_does_not_escalate if {
	i := {"request": object.union(req, {"purpose": "emergency_treatment"}), "data_principal": {"id": "UNKNOWN-CASUALTY-0415"}, "basis": {"type": "legitimate_use", "legitimate_use": "medical_emergency", "documentation_ref": "CASUALTY-REG-2026-7781"}}
	d := data.dpdp.consent.decision with input as i
	d.outcome == "APPROVE"
}

test_birth_date_showing_minor_overrides_declared_age if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"data_principal": {"id": "DP-TN-0451230", "age": 18, "date_of_birth": "2008-11-20"}})
	rules_of(d) == {"verifiable_guardian_consent_missing"}
}

test_birth_date_alone_establishes_age if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"data_principal": {"id": "DP-KA-0090002", "age": null, "date_of_birth": "1990-01-31"}})
	d.outcome == "APPROVE"
}

test_eighteenth_birthday_on_request_date_is_adult if {
	# request is on 2026-06-15 IST
	i := object.union(consent_input, {"data_principal": {"id": "DP-KA-0090003", "age": null, "date_of_birth": "2008-06-15"}})
	data.dpdp.consent.age_from_date_of_birth == 18 with input as i
	d := data.dpdp.consent.decision with input as i
	d.outcome == "APPROVE"
}

test_day_before_eighteenth_birthday_is_child if {
	i := object.union(consent_input, {"data_principal": {"id": "DP-KA-0090004", "age": null, "date_of_birth": "2008-06-16"}})
	data.dpdp.consent.age_from_date_of_birth == 17 with input as i
	d := data.dpdp.consent.decision with input as i
	rules_of(d) == {"verifiable_guardian_consent_missing"}
}

# ---------------------------------------------------------------- Section 8(2) processors

test_processor_without_contract_escalates if {
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"processor": {"name": "SwiftShip Logistics Pvt Ltd"}})
	d.outcome == "ESCALATE"
	rules_of(d) == {"processor_contract_missing"}
}

test_processor_with_expired_contract_escalates if {
	p := {"name": "SwiftShip Logistics Pvt Ltd", "contract_ref": "DPA-2024-117", "contract_valid_until": "2026-03-31T23:59:59+05:30"}
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"processor": p})
	rules_of(d) == {"processor_contract_expired"}
}

test_processor_with_valid_contract_approves if {
	p := {"name": "SwiftShip Logistics Pvt Ltd", "contract_ref": "DPA-2026-031", "contract_valid_until": "2027-03-31T23:59:59+05:30"}
	d := data.dpdp.consent.decision with input as object.union(consent_input, {"processor": p})
	d.outcome == "APPROVE"
}

# ---------------------------------------------------------------- precedence and ordering

test_block_outranks_escalation if {
	i := object.union(consent_input, {"processor": {"name": "SwiftShip Logistics Pvt Ltd"}, "consent": {"status": "withdrawn"}})
	d := data.dpdp.consent.decision with input as i
	d.outcome == "BLOCK"
	rules_of(d) == {"consent_withdrawn"}
	count(data.dpdp.consent.escalate) == 1 with input as i
}

test_escalation_outranks_audit if {
	i := object.union(legit_input("employment", ""), {"processor": {"name": "PayRollPro Services LLP", "contract_ref": ""}})
	d := data.dpdp.consent.decision with input as i
	d.outcome == "ESCALATE"
	rules_of(d) == {"processor_contract_missing"}
}

test_reasons_are_sorted_by_rule if {
	i := object.union(consent_input, {"data_principal": child, "request": {"purpose": "marketing_sms", "processing_activities": ["tracking"]}})
	d := data.dpdp.consent.decision with input as i
	[r.rule | some r in d.reasons] == ["child_tracking_or_targeting", "consent_purpose_mismatch", "verifiable_guardian_consent_missing"]
}
