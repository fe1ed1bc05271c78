"""Everything that goes out: answers and the notices the law requires, one kind of document (a
letter) in one outgoing journal — drafted, approved, signed, registered, sent."""
