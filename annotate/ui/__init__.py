"""Review app pages. Each page is a function that calls the domain layer and shows the result:
no SQL and no business rules here."""
