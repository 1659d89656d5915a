"""What tests call: listing and expiry assertions, and the eventual-consistency
assertions. It sits above the front doors it inspects (``binding``, ``kv``).
"""
