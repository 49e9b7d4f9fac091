//! `[organization]`: the payer and the usage accounts.

use curlab_vocab::arn::is_account_id;

use crate::scenario::model::AccountSpec;
use crate::scenario::Path;

use super::context::{root, Ctx};
use super::types::Account;

/// The payer and the usage accounts (the payer first when it is not listed).
pub(crate) fn resolve_accounts(cx: &mut Ctx<'_>) -> (Account, Vec<Account>) {
    let org = &cx.file.organization;
    let p = root().key("organization");
    let check = |cx: &mut Ctx<'_>, a: &AccountSpec, path: Path| {
        if !is_account_id(&a.id) {
            cx.problem(
                path.key("id"),
                format!("account id `{}` is not 12 digits", a.id),
                "AWS account ids are exactly 12 digits, e.g. \"123456789012\" (quote it)",
            );
        }
        if a.name.is_empty() || a.name.len() > 50 {
            cx.problem(
                path.key("name"),
                "account name must be 1-50 characters",
                "give the account a short display name",
            );
        }
        Account {
            id: a.id.clone(),
            name: a.name.clone(),
        }
    };
    let payer = check(cx, &org.payer, p.key("payer"));
    let mut accounts = Vec::new();
    for (i, a) in org.accounts.iter().enumerate() {
        let acc = check(cx, a, p.key("accounts").index(i));
        if accounts.iter().any(|x: &Account| x.id == acc.id) {
            cx.problem(
                p.key("accounts").index(i).key("id"),
                format!("account {} is listed twice", acc.id),
                "list each account once",
            );
        }
        accounts.push(acc);
    }
    if !accounts.iter().any(|a| a.id == payer.id) {
        accounts.insert(0, payer.clone());
    }
    (payer, accounts)
}
