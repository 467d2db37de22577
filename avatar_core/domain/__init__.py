"""Domain parts: agents, activities, avatar versions, emotion variants, jobs and tokens.

Each part owns the queries on its own tables and returns models; parts may use one another but
never the work layer or the service above them.
"""
