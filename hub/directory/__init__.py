"""The directory's services: users and sign-in, groups, retail stores and their bulk import."""
