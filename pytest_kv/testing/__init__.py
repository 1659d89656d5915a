"""What tests call: listing and expiry assertions, the eventual-consistency
assertions, and the race explorer. It sits above the front doors it inspects
(``binding``, ``kv``).
"""
