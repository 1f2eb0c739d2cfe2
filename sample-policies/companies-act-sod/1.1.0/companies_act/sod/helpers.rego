package companies_act.sod

# METADATA
# title: Finding constructor
# description: Builds one reason object of the Gavel decision shape.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: low
finding(rule, citation, message) := {"rule": rule, "citation": citation, "message": message}

# METADATA
# title: Non-blank text
# description: True when the argument is a string with non-whitespace content.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#   severity: low
non_blank(s) if {
	is_string(s)
	trim_space(s) != ""
}

# METADATA
# title: Normalised identifier
# description: Employee identifiers compare trimmed and upper-cased, so "e1042 " and "E1042" are the same person.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: low
norm(s) := upper(trim_space(s))

# METADATA
# title: Known transaction type
# description: The transaction is one of the types this control covers (data.companies_act.config.transaction_types).
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: medium
known_type if input.transaction_type in data.companies_act.config.transaction_types

# METADATA
# title: Vendor creation
# description: The request creates a vendor in the vendor master (a master-data change, not a movement of money).
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: medium
is_vendor_creation if input.transaction_type == "vendor_creation"

# METADATA
# title: Transaction amount (INR)
# description: >-
#   The amount in INR, defined only when valid: a positive number, or zero
#   (or absent) for a vendor creation, which moves no money.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#   severity: high
amount := input.amount if {
	is_number(input.amount)
	input.amount > 0
} else := 0 if {
	is_vendor_creation
	object.get(input, "amount", 0) == 0
}

# METADATA
# title: Valid amount
# description: The transaction carries a usable INR amount.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#   severity: high
valid_amount if is_number(amount)

# METADATA
# title: Company record
# description: The company object of the request, or an empty object.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#   severity: low
company := input.company if {
	is_object(input.company)
} else := {}

# METADATA
# title: Initiator record
# description: The initiator object of the request, or an empty object.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: low
initiator := input.initiator if {
	is_object(input.initiator)
} else := {}

# METADATA
# title: Initiator identifier
# description: The normalised employee id of the person who initiated the transaction, defined only when present.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "Companies (Accounts) Rules 2014", clause: "Rule 3(1) proviso"}
#   severity: high
initiator_id := norm(initiator.employee_id) if non_blank(initiator.employee_id)

# METADATA
# title: Initiator department
# description: The initiator's department, lower-cased, defined only when present.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: low
initiator_department := lower(trim_space(initiator.department)) if non_blank(initiator.department)

# METADATA
# title: Approval records
# description: The approvals array of the request, or an empty array.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: low
approvals := input.approvals if {
	is_array(input.approvals)
} else := []

# METADATA
# title: Granted approvals
# description: Approval records (objects with a non-blank approver_id) whose decision is "approved".
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: medium
granted := [a |
	some a in approvals
	is_object(a)
	a.decision == "approved"
	non_blank(a.approver_id)
]

# METADATA
# title: Department of an approval
# description: The approver's department, lower-cased, defined only when present.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: low
approver_department(a) := lower(trim_space(a.department)) if non_blank(a.department)

# METADATA
# title: Independent approval
# description: >-
#   A granted approval is independent when the approver is not the initiator
#   and both departments are known and differ. Since 1.1.0 an approver from
#   the initiator's own department does not count as independent.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "Companies Act 2013", clause: "s.143(3)(i)"}
#   severity: high
independent(a) if {
	norm(a.approver_id) != initiator_id
	approver_department(a) != initiator_department
}

# METADATA
# title: Independent approvers
# description: Distinct normalised ids of approvers whose granted approval is independent of the initiator.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#     - {regulation: "Companies Act 2013", clause: "s.143(3)(i)"}
#   severity: high
independent_approvers := {norm(a.approver_id) |
	some a in granted
	independent(a)
}

# METADATA
# title: Same-department approvers
# description: Distinct ids of approvers who granted approval but are in the initiator's department (not counted since 1.1.0).
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: medium
same_department_approvers := {norm(a.approver_id) |
	some a in granted
	norm(a.approver_id) != initiator_id
	approver_department(a) == initiator_department
}

# METADATA
# title: Independent finance approver present
# description: At least one independent approval comes from an approver holding the finance_approver role.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: high
independent_finance_approver if {
	some a in granted
	independent(a)
	is_array(a.roles)
	finance_approver_role in a.roles
}

# METADATA
# title: Dual approval required
# description: The amount exceeds the dual-approval threshold.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: high
dual_approval_required if amount > dual_approval_threshold

# METADATA
# title: Dual approval required for vendor creation
# description: Creating a vendor always needs dual approval, whatever the amount (fictitious-vendor fraud control).
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.134(5)(e)"}
#   severity: high
dual_approval_required if is_vendor_creation

# METADATA
# title: Counterparty record
# description: The counterparty object of the request, or an empty object.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.188(1)"}
#   severity: low
counterparty := input.counterparty if {
	is_object(input.counterparty)
} else := {}

# METADATA
# title: Board resolution record
# description: The board_approval object of the request, or an empty object.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.179(3)"}
#   severity: low
board_approval := input.board_approval if {
	is_object(input.board_approval)
} else := {}

# METADATA
# title: Board approval on record
# description: A board resolution approving the transaction is cited (approved is true and resolution_ref is non-blank).
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.179(3)"}
#     - {regulation: "Companies Act 2013", clause: "s.188(1)"}
#   severity: high
board_approved if {
	board_approval.approved == true
	non_blank(board_approval.resolution_ref)
}

# METADATA
# title: Audit-trail record
# description: The audit_trail object of the request (the accounting system's voucher and edit-log data), or an empty object.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#     - {regulation: "Companies (Accounts) Rules 2014", clause: "Rule 3(1) proviso"}
#   severity: low
audit_trail := input.audit_trail if {
	is_object(input.audit_trail)
} else := {}

# METADATA
# title: Valid PAN
# description: A Permanent Account Number in the Income Tax Department's format (AAAAA9999A).
# custom:
#   citations:
#     - {regulation: "Income-tax Act 1961", clause: "s.139A(5A)"}
#   severity: low
valid_pan(pan) if {
	is_string(pan)
	regex.match(`^[A-Z]{5}[0-9]{4}[A-Z]$`, upper(trim_space(pan)))
}

# METADATA
# title: ISO calendar date prefix
# description: True when the string starts with a YYYY-MM-DD date, so dates compare as strings.
# custom:
#   citations:
#     - {regulation: "Companies Act 2013", clause: "s.128(1)"}
#   severity: low
iso_date(s) if {
	is_string(s)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}`, s)
}
