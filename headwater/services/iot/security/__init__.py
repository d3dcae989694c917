"""Device identity and authorization data of AWS IoT: the local CA chain, certificates, CA
certificates, policies and their attachments, DescribeEndpoint, and the device gateway's TLS
material (`DeviceTrust`)."""
