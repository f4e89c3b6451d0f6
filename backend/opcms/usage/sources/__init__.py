"""Data sources: where usage comes from (DESIGN §6).

``service`` configures sources (adapter, settings, encrypted secrets), checks their health and
maps customers to the vendor's account ids; ``queries`` reads them; ``api`` is their blueprint;
``schemas`` their request and response shapes. Uploads to ``file`` sources: :mod:`opcms.usage.uploads`.
"""
