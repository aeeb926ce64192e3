# test/data/bankgen: the modules of the deterministic synthetic bank
#
# generate.py is the command line; this package holds the generator itself,
# one module per concern:
#
#   helpers       seeded generators, COPY text formatting, weighted picks
#   timeline      the as-of date, the 156 activity weeks and their seasonality
#   names         person and company names
#   organisation  branches, teams and staff (Org)
#   config        sizes, seed, blocks (Config)
#   parties       the parties of a block, with every decision others depend on
#   activity      activity_weekly rows and the churn shapes
#   holdings      holding rows: balances, rates, fees and contribution
#   partyrows     party, party_kyc, party_phone, party_relation, coverage and
#                 the ground-truth rows
#   contacts      contact, complaint, survey_response and appointment rows
#   output        table list, global tables, worker processes, COPY output
#
# Fixed reference data lives in test/data/refdata.py, imported as the
# top-level module refdata (generate.py puts test/data on sys.path).
