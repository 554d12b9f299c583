"""Reading contracts: files into documents (loader), `$ref`s into values (refs), and the
bundled APIs under specs/ into `Api` records (bundle). The mock, `apitwin lint` and the
conformance suite all start here, so a contract means the same thing to each of them."""
