"""Review platforms: one module each, pulling pages of reviews and posting replies (hub/reviews' ReviewSource).

    google_business   Google Business Profile API v4: accounts.locations.reviews list / updateReply
    google_play       Google Play Developer API v3: reviews.list / reviews.reply
"""
