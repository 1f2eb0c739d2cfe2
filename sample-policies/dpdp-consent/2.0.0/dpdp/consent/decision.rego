# METADATA
# scope: package
# title: DPDP Act 2023 - lawful basis, consent, notice, children's data and processor contracts
# description: >-
#   Decides whether one personal-data processing request of a Data Fiduciary may go ahead.
#   Every request needs a lawful basis under Section 4 - consent that is specific to the
#   purpose, preceded by a notice, granted, not withdrawn and not expired (Sections 5 and 6),
#   or a legitimate use under Section 7 adopted by the organisation. Children's data and data
#   of persons with disability who have a lawful guardian need verifiable guardian consent and
#   children may never be tracked or targeted (Section 9). Processing through a Data Processor
#   needs a valid contract (Section 8(2)).
# related_resources:
#   - ref: https://www.meity.gov.in/data-protection-framework
#     description: Digital Personal Data Protection Act, 2023 (No. 22 of 2023), MeitY
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 4"}
#     - {regulation: "DPDP Act 2023", clause: "Section 5"}
#     - {regulation: "DPDP Act 2023", clause: "Section 6"}
#     - {regulation: "DPDP Act 2023", clause: "Section 7"}
#     - {regulation: "DPDP Act 2023", clause: "Section 8(2)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 9"}
package dpdp.consent

# METADATA
# title: Blocking findings
# description: Findings that make processing unlawful - no lawful basis, an invalid consent, an unusable legitimate use, a breach of the children's data rules, or (since 2.0.0) a Data Processor engaged with no contract.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 9"}
#     - {regulation: "DPDP Act 2023", clause: "Section 8(2)"}
#   severity: critical
block := lawful_basis_missing | purpose_not_specified | consent_record_missing |
	consent_not_granted | consent_withdrawn | consent_purpose_mismatch |
	consent_data_beyond_scope | consent_expired | consent_without_notice |
	consent_timing_unverifiable | consent_stale | legitimate_use_findings | children_findings |
	processor_contract_missing

# METADATA
# title: Blocking findings about legitimate uses
# description: Section 7 grounds that are not adopted by the organisation or not available to this Data Fiduciary.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 7"}
#   severity: critical
legitimate_use_findings := legitimate_use_not_recognised | legitimate_use_reserved_for_state |
	voluntary_use_beyond_specified_purpose | voluntary_use_objected

# METADATA
# title: Blocking findings about children and guarded persons
# description: Missing verifiable guardian consent, or tracking, behavioural monitoring or targeted advertising aimed at a child.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 9(3)"}
#   severity: critical
children_findings := verifiable_guardian_consent_missing | child_tracking_or_targeting

# METADATA
# title: Escalation findings
# description: Processing through a Data Processor whose contract has lapsed, or of a Data Principal whose age is not established, goes to the Data Protection Officer. Since 2.0.0 a processor with no contract at all is a blocking finding instead.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 8(2)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 9(1)"}
#   severity: high
escalate := processor_contract_expired | age_not_established

# METADATA
# title: Audit findings
# description: Processing allowed on a legitimate use whose supporting documentation is not referenced; approved but logged for audit.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 7"}
#     - {regulation: "DPDP Act 2023", clause: "Section 8(1)"}
#   severity: medium
audit := legitimate_use_undocumented

# METADATA
# title: Outcome by precedence
# description: BLOCK if any blocking finding, else ESCALATE if any escalation, else APPROVE_WITH_AUDIT if any audit finding, else APPROVE.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)"}
#   severity: high
outcome := "BLOCK" if {
	count(block) > 0
} else := "ESCALATE" if {
	count(escalate) > 0
} else := "APPROVE_WITH_AUDIT" if {
	count(audit) > 0
} else := "APPROVE"

# METADATA
# title: Findings that drove the outcome
# description: The blocking findings for BLOCK, the escalations for ESCALATE, the audit findings for APPROVE_WITH_AUDIT, none for APPROVE.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)"}
#   severity: low
driving_findings := block if {
	count(block) > 0
} else := escalate if {
	count(escalate) > 0
} else := audit

# METADATA
# title: Order findings by rule name then message
# description: Gives the reasons array a stable order that does not depend on how an engine orders objects.
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#   severity: low
sorted_reasons(findings) := [f |
	some key in sort([k | some x in findings; k := concat("|", [x.rule, x.message])])
	some f in findings
	concat("|", [f.rule, f.message]) == key
]

# METADATA
# title: DPDP processing decision
# description: The Gavel decision for one processing request - outcome and the reasons that drove it.
# entrypoint: true
# custom:
#   citations:
#     - {regulation: "DPDP Act 2023", clause: "Section 4(1)"}
#     - {regulation: "DPDP Act 2023", clause: "Section 6(10)"}
#   severity: critical
decision := {
	"outcome": outcome,
	"reasons": sorted_reasons(driving_findings),
}
