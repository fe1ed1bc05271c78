"""The organisation: subdivisions, officials, employees, users and their roles; profiles."""
