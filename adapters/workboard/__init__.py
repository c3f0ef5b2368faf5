"""WorkBoard as an OKR store: each KR's value is written into the WorkBoard metric (key result) it maps to."""
