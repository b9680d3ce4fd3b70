"""The pure domain of nsaas: requests, tiers, policy, lifecycle and the error tree. No I/O."""
