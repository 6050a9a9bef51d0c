"""Real servers the tests start locally (Dovecot IMAP, an aiosmtpd SMTP server): not fakes of our code."""
