"""Personal reception and protocols: schedules, sign-up, reception day, minutes, assignments."""
