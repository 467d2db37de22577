"""avatar_core: faces for a fleet of AI agents, usable without Streamlit."""
