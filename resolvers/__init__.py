"""What the fields do: loaders, queries, mutations and the domain rules they apply."""
