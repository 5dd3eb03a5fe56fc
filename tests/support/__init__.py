"""What the tests share that the product does not ship: meters, readers, fakes and paths."""
