package pmla.kyc_test

import data.pmla.kyc

# A medium-risk individual, fully KYC-compliant, making an NEFT transfer.
base_customer := {
	"id": "CUST-00481927",
	"name": "Ramesh Kumar Iyer",
	"constitution": "individual",
	"risk_category": "medium",
	"kyc": {
		"ovd": {"type": "passport", "number": "Z4821937", "verified": true},
		"pan": "AFZPK7190K",
		"form60_submitted": false,
		"last_updated": "2021-06-10T10:00:00+05:30",
	},
	"pep": {"category": "none"},
	"due_diligence": {"edd_completed": false},
	"screening": {"sanctions_screened": true, "sanctions_hits": []},
	"recent_transactions": [],
}

base_txn := {
	"event": {"id": "EVT-2025-031400117", "type": "transaction", "timestamp": "2025-03-14T11:20:00+05:30", "channel": "branch"},
	"customer": base_customer,
	"transaction": {"id": "TXN-88120045", "type": "deposit", "mode": "neft", "amount_inr": 250000},
}

base_onboarding := {
	"event": {"id": "EVT-2025-031400042", "type": "onboarding", "timestamp": "2025-03-14T10:05:00+05:30", "channel": "branch"},
	"customer": object.union(base_customer, {"kyc": {"last_updated": "2025-03-14T10:00:00+05:30"}}),
}

with_customer(doc, patch) := object.union(doc, {"customer": patch})

cash(amount) := object.union(base_txn, {"transaction": {"mode": "cash", "amount_inr": amount}})

cash_with_history(amount, history) := object.union(cash(amount), {"customer": {"recent_transactions": history}})

rules_of(findings) := {r.rule | some r in findings}

# --- outcomes -------------------------------------------------------------

test_clean_onboarding_approves if {
	kyc.decision == {"outcome": "APPROVE", "reasons": []} with input as base_onboarding
}

test_clean_transaction_approves if {
	kyc.decision == {"outcome": "APPROVE", "reasons": []} with input as base_txn
}

test_large_neft_is_not_a_cash_report if {
	d := kyc.decision with input as object.union(base_txn, {"transaction": {"amount_inr": 5000000}})
	d.outcome == "APPROVE"
}

# --- identification ---------------------------------------------------------

test_missing_ovd_blocks if {
	inp := with_customer(base_onboarding, {"kyc": {"ovd": null}})
	d := kyc.decision with input as inp
	d.outcome == "BLOCK"
	rules_of(d.reasons) == {"officially_valid_document_missing"}
}

test_unaccepted_document_type_blocks if {
	inp := with_customer(base_onboarding, {"kyc": {"ovd": {"type": "ration_card"}}})
	"officially_valid_document_missing" in rules_of(kyc.block) with input as inp
}

test_blank_document_number_blocks if {
	inp := with_customer(base_onboarding, {"kyc": {"ovd": {"number": "  "}}})
	"officially_valid_document_missing" in rules_of(kyc.block) with input as inp
}

test_unverified_ovd_blocks if {
	inp := with_customer(base_onboarding, {"kyc": {"ovd": {"verified": false}}})
	d := kyc.decision with input as inp
	d.outcome == "BLOCK"
	rules_of(d.reasons) == {"identity_not_verified"}
	d.reasons[0].message == "officially valid document (passport) is on record but not verified"
}

test_malformed_pan_without_form60_blocks if {
	inp := with_customer(base_onboarding, {"kyc": {"pan": "AFZPK719OK"}})
	d := kyc.decision with input as inp
	rules_of(d.reasons) == {"pan_or_form60_missing"}
}

test_form60_in_lieu_of_pan_approves if {
	inp := with_customer(base_onboarding, {"kyc": {"pan": null, "form60_submitted": true}})
	kyc.decision.outcome == "APPROVE" with input as inp
}

test_missing_event_timestamp_blocks if {
	inp := object.union(base_txn, {"event": {"timestamp": null}})
	d := kyc.decision with input as inp
	d.outcome == "BLOCK"
	"event_timestamp_invalid" in rules_of(d.reasons)
}

test_impossible_date_blocks if {
	inp := object.union(base_txn, {"event": {"timestamp": "2025-02-30T10:00:00+05:30"}})
	"event_timestamp_invalid" in rules_of(kyc.block) with input as inp
}

test_leap_day_timestamps if {
	kyc.valid_timestamp("2024-02-29T09:00:00+05:30")
	kyc.valid_timestamp("2000-02-29T09:00:00Z")
	not kyc.valid_timestamp("2100-02-29T09:00:00Z")
	not kyc.valid_timestamp("2025-02-29T09:00:00+05:30")
	not kyc.valid_timestamp("2025-04-31T09:00:00+05:30")
	not kyc.valid_timestamp("2025-03-14 11:20:00")
}

test_unknown_event_type_blocks if {
	inp := object.union(base_txn, {"event": {"type": "txn"}})
	d := kyc.decision with input as inp
	d.outcome == "BLOCK"
	rules_of(d.reasons) == {"event_type_unrecognised"}
	d.reasons[0].message == "event.type txn is not one of onboarding, transaction"
}

test_transaction_without_amount_blocks if {
	inp := object.union(base_txn, {"transaction": {"amount_inr": "2,50,000"}})
	d := kyc.decision with input as inp
	rules_of(d.reasons) == {"transaction_details_missing"}
}

test_empty_input_blocks if {
	d := kyc.decision with input as {}
	d.outcome == "BLOCK"
	rules_of(d.reasons) == {"event_timestamp_invalid", "event_type_unrecognised", "officially_valid_document_missing", "pan_or_form60_missing"}
}

# --- sanctions ----------------------------------------------------------------

test_confirmed_sanctions_hit_blocks if {
	hit := {"list": "UNSC ISIL (Da'esh) and Al-Qaida Sanctions List", "entry_id": "QDi.431", "disposition": "confirmed"}
	inp := with_customer(base_txn, {"screening": {"sanctions_hits": [hit]}})
	d := kyc.decision with input as inp
	d.outcome == "BLOCK"
	d.reasons == [{
		"rule": "sanctions_list_match",
		"citation": "RBI KYC Direction 2016 Para 51; UAPA 1967 Section 51A",
		"message": "customer matches sanctions list UNSC ISIL (Da'esh) and Al-Qaida Sanctions List entry QDi.431 (disposition confirmed)",
	}]
}

test_unreviewed_hit_without_fields_blocks if {
	inp := with_customer(base_txn, {"screening": {"sanctions_hits": [{}]}})
	"sanctions_list_match" in rules_of(kyc.block) with input as inp
}

test_false_positive_hit_does_not_block if {
	hit := {"list": "UAPA Section 51A order", "entry_id": "MHA-2021-17", "disposition": "false_positive"}
	inp := with_customer(base_txn, {"screening": {"sanctions_hits": [hit]}})
	kyc.decision.outcome == "APPROVE" with input as inp
}

test_screening_not_evidenced_escalates if {
	inp := with_customer(base_txn, {"screening": {"sanctions_screened": false}})
	d := kyc.decision with input as inp
	d.outcome == "ESCALATE"
	rules_of(d.reasons) == {"sanctions_screening_missing"}
}

# --- screening service (http.send, stubbed with `with` as OPA test suites do) ---

service_run(ref) := with_customer(base_txn, {"screening": {"service_ref": ref}})

# The service as the tests see it: one run with a confirmed hit, one clear.
screening_service(req) := {"status_code": 200, "body": {"hits": [{"list": "UAPA Section 51A order", "entry_id": "MHA-2024-03", "disposition": "confirmed"}]}} if {
	req.url == "https://screening.bank.example/api/v2/runs/RUN-1"
	req.method == "GET"
} else := {"status_code": 200, "body": {"hits": []}}

test_service_hit_blocks if {
	d := kyc.decision with input as service_run("RUN-1") with http.send as screening_service
	d.outcome == "BLOCK"
	d.reasons == [{
		"rule": "sanctions_service_match",
		"citation": "RBI KYC Direction 2016 Para 51; UAPA 1967 Section 51A",
		"message": "screening run RUN-1: customer matches sanctions list UAPA Section 51A order entry MHA-2024-03 (disposition confirmed)",
	}]
}

test_service_clear_approves if {
	kyc.decision.outcome == "APPROVE" with input as service_run("RUN-2") with http.send as screening_service
}

test_service_unavailable_escalates if {
	d := kyc.decision with input as service_run("RUN-3") with http.send as {"status_code": 503, "body": null}
	d.outcome == "ESCALATE"
	d.reasons[0].message == "screening run RUN-3 could not be fetched from the screening service (status 503)"
}

test_no_service_ref_makes_no_call if {
	kyc.decision.outcome == "APPROVE" with input as base_txn with http.send as {"status_code": 500}
}

# --- PEP, risk, EDD -----------------------------------------------------------

test_pep_without_senior_approval_escalates if {
	inp := with_customer(base_onboarding, {"risk_category": "high", "pep": {"category": "pep", "source_of_funds_verified": true}, "due_diligence": {"edd_completed": true}})
	d := kyc.decision with input as inp
	d.outcome == "ESCALATE"
	rules_of(d.reasons) == {"pep_senior_management_approval_missing"}
}

test_pep_approved_by_branch_manager_escalates if {
	approval := {"approved": true, "approver_role": "branch_manager", "approved_on": "2025-03-13"}
	inp := with_customer(base_onboarding, {"pep": {"category": "pep", "senior_management_approval": approval}, "due_diligence": {"edd_completed": true}})
	"pep_senior_management_approval_missing" in rules_of(kyc.escalate) with input as inp
}

test_pep_with_approval_edd_and_source_of_funds_is_audited if {
	approval := {"approved": true, "approver_role": "chief_compliance_officer", "approved_on": "2025-03-13"}
	inp := with_customer(base_onboarding, {"pep": {"category": "pep", "senior_management_approval": approval, "source_of_funds_verified": true}, "due_diligence": {"edd_completed": true}})
	d := kyc.decision with input as inp
	d.outcome == "APPROVE_WITH_AUDIT"
	rules_of(d.reasons) == {"enhanced_monitoring_required"}
}

test_pep_family_member_in_scope_since_1_1_0 if {
	inp := with_customer(base_onboarding, {"pep": {"category": "family_member", "source_of_funds_verified": true}, "due_diligence": {"edd_completed": true}})
	d := kyc.decision with input as inp
	d.outcome == "ESCALATE"
	d.reasons == [{
		"rule": "pep_senior_management_approval_missing",
		"citation": "RBI KYC Direction 2016 Para 41(a)(iii)",
		"message": "customer PEP category family_member requires approval by senior management, none recorded",
	}]
}

test_pep_close_associate_needs_edd_and_approval if {
	inp := with_customer(base_onboarding, {"pep": {"category": "close_associate"}})
	rules_of(kyc.escalate) == {"pep_senior_management_approval_missing", "pep_source_of_funds_unverified", "enhanced_due_diligence_incomplete"} with input as inp
}

test_approved_pep_without_source_of_funds_escalates if {
	approval := {"approved": true, "approver_role": "general_manager", "approved_on": "2025-03-13"}
	inp := with_customer(base_onboarding, {"pep": {"category": "pep", "senior_management_approval": approval, "source_of_funds_verified": false}, "due_diligence": {"edd_completed": true}})
	d := kyc.decision with input as inp
	d.outcome == "ESCALATE"
	rules_of(d.reasons) == {"pep_source_of_funds_unverified"}
}

test_unrelated_customer_needs_no_source_of_funds if {
	inp := with_customer(base_onboarding, {"pep": {"category": "none"}})
	count(kyc.pep_source_of_funds_unverified) == 0 with input as inp
}

test_high_risk_without_edd_escalates if {
	inp := with_customer(base_txn, {"risk_category": "high", "kyc": {"last_updated": "2024-11-02T15:30:00+05:30"}})
	d := kyc.decision with input as inp
	d.outcome == "ESCALATE"
	rules_of(d.reasons) == {"enhanced_due_diligence_incomplete"}
}

test_high_risk_with_edd_is_audited if {
	inp := with_customer(base_txn, {"risk_category": "high", "due_diligence": {"edd_completed": true}, "kyc": {"last_updated": "2024-11-02T15:30:00+05:30"}})
	kyc.decision.outcome == "APPROVE_WITH_AUDIT" with input as inp
}

test_unassigned_risk_escalates if {
	inp := with_customer(base_onboarding, {"risk_category": null})
	d := kyc.decision with input as inp
	d.outcome == "ESCALATE"
	rules_of(d.reasons) == {"risk_category_unassigned"}
}

# --- cash reporting and structuring ------------------------------------------------

test_cash_above_ten_lakh_is_reported if {
	d := kyc.decision with input as cash(1250000)
	d.outcome == "APPROVE_WITH_AUDIT"
	d.reasons[0].message == "cash transaction of INR 1250000 exceeds INR 1000000: include in the Cash Transaction Report to FIU-IND"
}

test_cash_of_exactly_ten_lakh_is_not_reported if {
	kyc.decision.outcome == "APPROVE" with input as cash(1000000)
}

test_cash_series_in_month_is_reported if {
	history := [{"id": "TXN-88119702", "timestamp": "2025-03-03T12:00:00+05:30", "mode": "cash", "amount_inr": 600000}]
	d := kyc.decision with input as cash_with_history(450000, history)
	d.outcome == "APPROVE_WITH_AUDIT"
	rules_of(d.reasons) == {"cash_series_report_required"}
}

test_cash_series_ignores_previous_month_and_non_cash if {
	history := [
		{"id": "TXN-88001234", "timestamp": "2025-02-28T18:00:00+05:30", "mode": "cash", "amount_inr": 600000},
		{"id": "TXN-88001299", "timestamp": "2025-03-02T09:00:00+05:30", "mode": "rtgs", "amount_inr": 900000},
	]
	kyc.decision.outcome == "APPROVE" with input as cash_with_history(450000, history)
}

test_future_dated_history_is_ignored if {
	history := [{"id": "TXN-88130001", "timestamp": "2025-03-20T12:00:00+05:30", "mode": "cash", "amount_inr": 600000}]
	kyc.decision.outcome == "APPROVE" with input as cash_with_history(450000, history)
}

test_three_near_threshold_deposits_in_a_week_escalate if {
	history := [
		{"id": "TXN-88119001", "timestamp": "2025-03-10T10:30:00+05:30", "mode": "cash", "amount_inr": 950000},
		{"id": "TXN-88119502", "timestamp": "2025-03-12T16:10:00+05:30", "mode": "cash", "amount_inr": 980000},
	]
	d := kyc.decision with input as cash_with_history(960000, history)
	d.outcome == "ESCALATE"
	d.reasons == [{
		"rule": "structuring_suspected",
		"citation": "PML (Maintenance of Records) Rules 2005 Rule 2(1)(g); Rule 8(2)",
		"message": "3 cash transactions between INR 800000 and INR 1000000 within 30 days (total INR 2890000): possible structuring, refer to the Principal Officer for an STR",
	}]
}

test_two_near_threshold_deposits_do_not_escalate if {
	history := [{"id": "TXN-88119502", "timestamp": "2025-03-12T16:10:00+05:30", "mode": "cash", "amount_inr": 980000}]
	d := kyc.decision with input as cash_with_history(960000, history)
	d.outcome == "APPROVE_WITH_AUDIT"
	rules_of(d.reasons) == {"cash_series_report_required"}
}

test_near_threshold_deposits_outside_window_do_not_escalate if {
	history := [
		{"id": "TXN-87810001", "timestamp": "2025-02-01T10:30:00+05:30", "mode": "cash", "amount_inr": 950000},
		{"id": "TXN-87810502", "timestamp": "2025-02-10T16:10:00+05:30", "mode": "cash", "amount_inr": 980000},
	]
	not "structuring_suspected" in rules_of(kyc.escalate) with input as cash_with_history(960000, history)
}

test_eight_lakh_deposits_over_three_weeks_escalate_since_1_1_0 if {
	history := [
		{"id": "TXN-87990114", "timestamp": "2025-02-20T12:05:00+05:30", "mode": "cash", "amount_inr": 850000},
		{"id": "TXN-88090871", "timestamp": "2025-03-01T11:45:00+05:30", "mode": "cash", "amount_inr": 880000},
	]
	d := kyc.decision with input as cash_with_history(860000, history)
	d.outcome == "ESCALATE"
	rules_of(d.reasons) == {"structuring_suspected"}
}

test_deposits_below_eight_lakh_do_not_escalate if {
	history := [
		{"id": "TXN-88119001", "timestamp": "2025-03-10T10:30:00+05:30", "mode": "cash", "amount_inr": 750000},
		{"id": "TXN-88119502", "timestamp": "2025-03-12T16:10:00+05:30", "mode": "cash", "amount_inr": 780000},
	]
	d := kyc.decision with input as cash_with_history(790000, history)
	d.outcome == "APPROVE_WITH_AUDIT"
}

# --- periodic updation ----------------------------------------------------------------

test_high_risk_kyc_older_than_two_years_escalates if {
	inp := with_customer(base_txn, {"risk_category": "high", "due_diligence": {"edd_completed": true}, "kyc": {"last_updated": "2022-09-01T10:00:00+05:30"}})
	d := kyc.decision with input as inp
	d.outcome == "ESCALATE"
	d.reasons[0].message == "KYC last updated 2022-09-01T10:00:00+05:30; high-risk customers must be updated every 2 years: periodic updation overdue"
}

test_medium_risk_kyc_within_eight_years_passes if {
	not "periodic_kyc_update_overdue" in rules_of(kyc.escalate) with input as base_txn
}

test_low_risk_kyc_older_than_ten_years_escalates if {
	inp := with_customer(base_txn, {"risk_category": "low", "kyc": {"last_updated": "2014-12-01T10:00:00+05:30"}})
	"periodic_kyc_update_overdue" in rules_of(kyc.escalate) with input as inp
}

test_onboarding_is_not_checked_for_rekyc if {
	inp := with_customer(base_onboarding, {"kyc": {"last_updated": "2001-01-01T00:00:00Z"}})
	kyc.decision.outcome == "APPROVE" with input as inp
}

test_missing_kyc_date_on_transaction_escalates if {
	inp := with_customer(base_txn, {"kyc": {"last_updated": "10/06/2021"}})
	d := kyc.decision with input as inp
	rules_of(d.reasons) == {"kyc_update_date_missing"}
}

# --- precedence -----------------------------------------------------------------------

test_block_outranks_escalate_and_audit if {
	inp := object.union(cash(1500000), {"customer": {"kyc": {"pan": null}, "pep": {"category": "pep"}}})
	d := kyc.decision with input as inp
	d.outcome == "BLOCK"
	rules_of(d.reasons) == {"pan_or_form60_missing"}
	count(kyc.escalate) == 3 with input as inp
	count(kyc.audit) == 2 with input as inp
}

# --- changes in 1.1.0 ---------------------------------------------------------------------

test_approved_family_member_is_monitored_since_1_1_0 if {
	approval := {"approved": true, "approver_role": "principal_officer", "approved_on": "2025-03-13"}
	inp := with_customer(base_onboarding, {"pep": {"category": "family_member", "senior_management_approval": approval, "source_of_funds_verified": true}, "due_diligence": {"edd_completed": true}})
	d := kyc.decision with input as inp
	d.outcome == "APPROVE_WITH_AUDIT"
	rules_of(d.reasons) == {"enhanced_monitoring_required"}
}

test_near_threshold_deposits_within_30_days_escalate_since_1_1_0 if {
	history := [
		{"id": "TXN-88110001", "timestamp": "2025-03-01T10:30:00+05:30", "mode": "cash", "amount_inr": 950000},
		{"id": "TXN-88110502", "timestamp": "2025-03-04T16:10:00+05:30", "mode": "cash", "amount_inr": 980000},
	]
	d := kyc.decision with input as cash_with_history(960000, history)
	d.outcome == "ESCALATE"
	rules_of(d.reasons) == {"structuring_suspected"}
}
