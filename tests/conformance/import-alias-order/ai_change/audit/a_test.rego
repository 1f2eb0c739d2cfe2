package ai_change.audit_test
import data.ai_change.audit
test_alias if { x := audit.block with input as {"ai_assisted": false}; x == set() }
test_full if { x := data.ai_change.audit.block with input as {"ai_assisted": false}; x == set() }
