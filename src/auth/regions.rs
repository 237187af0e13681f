//! Genesys Cloud regions: API base `https://api.{domain}`, login base `https://login.{domain}`
//! (reference/genesys.md §1.1, from the official SDK 269's region table).

/// One Genesys Cloud region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// The SDK's enum name, e.g. `eu_central_1`.
    pub name: &'static str,
    /// The AWS region, e.g. `eu-central-1`.
    pub aws_region: &'static str,
    /// The domain, e.g. `mypurecloud.de`.
    pub domain: &'static str,
}

/// All 18 regions of SDK 269 (2026-10).
pub const REGIONS: &[Region] = &[
    Region {
        name: "us_east_1",
        aws_region: "us-east-1",
        domain: "mypurecloud.com",
    },
    Region {
        name: "us_east_2",
        aws_region: "us-east-2",
        domain: "use2.us-gov-pure.cloud",
    },
    Region {
        name: "us_west_2",
        aws_region: "us-west-2",
        domain: "usw2.pure.cloud",
    },
    Region {
        name: "ca_central_1",
        aws_region: "ca-central-1",
        domain: "cac1.pure.cloud",
    },
    Region {
        name: "sa_east_1",
        aws_region: "sa-east-1",
        domain: "sae1.pure.cloud",
    },
    Region {
        name: "mx_central_1",
        aws_region: "mx-central-1",
        domain: "mxc1.pure.cloud",
    },
    Region {
        name: "eu_west_1",
        aws_region: "eu-west-1",
        domain: "mypurecloud.ie",
    },
    Region {
        name: "eu_west_2",
        aws_region: "eu-west-2",
        domain: "euw2.pure.cloud",
    },
    Region {
        name: "eu_central_1",
        aws_region: "eu-central-1",
        domain: "mypurecloud.de",
    },
    Region {
        name: "eu_central_2",
        aws_region: "eu-central-2",
        domain: "euc2.pure.cloud",
    },
    Region {
        name: "me_central_1",
        aws_region: "me-central-1",
        domain: "mec1.pure.cloud",
    },
    Region {
        name: "ap_south_1",
        aws_region: "ap-south-1",
        domain: "aps1.pure.cloud",
    },
    Region {
        name: "ap_northeast_1",
        aws_region: "ap-northeast-1",
        domain: "mypurecloud.jp",
    },
    Region {
        name: "ap_northeast_2",
        aws_region: "ap-northeast-2",
        domain: "apne2.pure.cloud",
    },
    Region {
        name: "ap_northeast_3",
        aws_region: "ap-northeast-3",
        domain: "apne3.pure.cloud",
    },
    Region {
        name: "ap_southeast_1",
        aws_region: "ap-southeast-1",
        domain: "apse1.pure.cloud",
    },
    Region {
        name: "ap_southeast_2",
        aws_region: "ap-southeast-2",
        domain: "mypurecloud.com.au",
    },
    Region {
        name: "eusc_de_east_1",
        aws_region: "eusc-de-east-1",
        domain: "edee1.eusc-pure.cloud",
    },
];

impl Region {
    /// Finds a region by SDK name, AWS region or domain (case-insensitive).
    pub fn find(name: &str) -> Option<Region> {
        let name = name.trim().to_ascii_lowercase();
        REGIONS
            .iter()
            .copied()
            .find(|r| r.name == name || r.aws_region == name || r.domain == name)
    }

    /// `https://login.{domain}`.
    pub fn login_base(&self) -> String {
        format!("https://login.{}", self.domain)
    }

    /// `https://api.{domain}`.
    pub fn api_base(&self) -> String {
        format!("https://api.{}", self.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_resolve_by_any_name() {
        let de = Region::find("eu_central_1").unwrap();
        assert_eq!(Region::find("eu-central-1"), Some(de));
        assert_eq!(Region::find("mypurecloud.de"), Some(de));
        assert_eq!(de.login_base(), "https://login.mypurecloud.de");
        assert_eq!(de.api_base(), "https://api.mypurecloud.de");
        assert_eq!(REGIONS.len(), 18);
        assert!(Region::find("mars_north_1").is_none());
    }
}
