//! Parsing `#[wrangle::test(..)]` and expanding it, on `proc_macro2` so it can be unit-tested.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Error, FnArg, Ident, ItemFn, LitInt, Token};

/// A runtime the attribute can run the body on, in the order the tests are generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavor {
    Tokio,
    TokioCurrentThread,
    Smol,
    AsyncStd,
    Sim,
}

const ALL: [Flavor; 5] = [
    Flavor::Tokio,
    Flavor::TokioCurrentThread,
    Flavor::Smol,
    Flavor::AsyncStd,
    Flavor::Sim,
];

const NAMES: &str = "`tokio`, `tokio_current_thread`, `smol`, `async_std`, `sim`";

/// The parameter forms the attribute accepts, for its error messages.
const FORMS: &str = "`rt: wrangle::AnyRuntime`, `rt: impl wrangle::Runtime`, or `rt: R` with \
                     `R: wrangle::Runtime`";

impl Flavor {
    /// The name in `runtimes = [..]`, which is also the generated test's name.
    fn name(self) -> &'static str {
        match self {
            Flavor::Tokio => "tokio",
            Flavor::TokioCurrentThread => "tokio_current_thread",
            Flavor::Smol => "smol",
            Flavor::AsyncStd => "async_std",
            Flavor::Sim => "sim",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        ALL.into_iter().find(|flavor| flavor.name() == name)
    }

    /// The facade's gate: a `macro_rules!` defined by `wrangle` itself, so it sees wrangle's
    /// features, not those of the crate the test is in.
    fn gate(self) -> Ident {
        let feature = match self {
            Flavor::Tokio | Flavor::TokioCurrentThread => "tokio",
            Flavor::Smol => "smol",
            Flavor::AsyncStd => "async_std",
            Flavor::Sim => "sim",
        };
        format_ident!("if_{}", feature)
    }

    /// The facade's helper that runs the body on this runtime: `with` the concrete runtime
    /// (`tokio_with`, ...), or without, an `AnyRuntime` (`tokio`, ...).
    fn helper(self, concrete: bool) -> Ident {
        if concrete {
            format_ident!("{}_with", self.name())
        } else {
            format_ident!("{}", self.name())
        }
    }
}

/// The attribute's arguments.
#[derive(Default)]
struct Args {
    /// `runtimes = [..]`, with each name's span; `None`: every runtime wrangle is built with.
    runtimes: Option<Vec<(Flavor, Span)>>,
    /// `seeds = N`, with its span.
    seeds: Option<(u64, Span)>,
}

fn parse_args(attr: TokenStream) -> syn::Result<Args> {
    let mut args = Args::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("runtimes") {
            if args.runtimes.is_some() {
                return Err(meta.error("`runtimes` is given twice"));
            }
            let value = meta.value()?;
            let content;
            syn::bracketed!(content in value);
            let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
            let mut runtimes: Vec<(Flavor, Span)> = Vec::new();
            for name in &names {
                let flavor = Flavor::from_name(&name.to_string()).ok_or_else(|| {
                    Error::new(
                        name.span(),
                        format!("unknown runtime `{name}`; expected one of {NAMES}"),
                    )
                })?;
                if runtimes.iter().any(|(seen, _)| *seen == flavor) {
                    return Err(Error::new(
                        name.span(),
                        format!("runtime `{name}` is listed twice"),
                    ));
                }
                runtimes.push((flavor, name.span()));
            }
            if runtimes.is_empty() {
                return Err(meta.error(format!(
                    "`runtimes` lists no runtime; name at least one of {NAMES}, or leave \
                     `runtimes` out to run on every runtime wrangle is built with"
                )));
            }
            args.runtimes = Some(runtimes);
            Ok(())
        } else if meta.path.is_ident("seeds") {
            if args.seeds.is_some() {
                return Err(meta.error("`seeds` is given twice"));
            }
            let lit: LitInt = meta.value()?.parse()?;
            let seeds: u64 = lit.base10_parse()?;
            if seeds == 0 {
                return Err(Error::new(
                    lit.span(),
                    "`seeds` must be at least 1: it is how many seeds the body runs with on sim",
                ));
            }
            args.seeds = Some((seeds, lit.span()));
            Ok(())
        } else {
            let key = meta
                .path
                .get_ident()
                .map_or_else(|| "this path".to_owned(), |ident| format!("`{ident}`"));
            Err(meta.error(format!(
                "unknown argument {key}; expected `runtimes = [..]` or `seeds = N`"
            )))
        }
    });
    parser.parse2(attr)?;
    if let (Some(runtimes), Some((_, span))) = (&args.runtimes, args.seeds)
        && !runtimes.iter().any(|(flavor, _)| *flavor == Flavor::Sim)
    {
        return Err(Error::new(
            span,
            "`seeds` applies to sim, which `runtimes` leaves out; add `sim` to `runtimes`",
        ));
    }
    Ok(args)
}

/// What the test function gives the body: nothing, the runtime as an `AnyRuntime`, or the
/// concrete runtime (the parameter is `impl Runtime` or a type parameter), each with the
/// parameter type's span.
enum Shape {
    NoRuntime,
    Runtime(Span),
    Generic(Span),
}

/// Whether `ty` is `impl ..` or one of the function's type parameters: the attribute then
/// instantiates the function with each concrete runtime.
fn is_generic(ty: &syn::Type, generics: &syn::Generics) -> bool {
    match ty {
        syn::Type::ImplTrait(_) => true,
        syn::Type::Paren(inner) => is_generic(&inner.elem, generics),
        syn::Type::Group(inner) => is_generic(&inner.elem, generics),
        syn::Type::Path(path) if path.qself.is_none() => path
            .path
            .get_ident()
            .is_some_and(|ident| generics.type_params().any(|param| param.ident == *ident)),
        _ => false,
    }
}

fn check_fn(item: &ItemFn) -> syn::Result<Shape> {
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        return Err(Error::new(
            sig.fn_token.span(),
            format!("#[wrangle::test] runs an `async fn`: write `async fn name(..)` with {FORMS}"),
        ));
    }
    if let Some(attr) = item.attrs.iter().find(|attr| is_test_attr(attr)) {
        return Err(Error::new(
            attr.span(),
            "remove this `#[test]`: #[wrangle::test] generates one test per runtime",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(Error::new(
            variadic.span(),
            "#[wrangle::test] functions are not variadic",
        ));
    }
    let mut inputs = sig.inputs.iter();
    let shape = match inputs.next() {
        None => Shape::NoRuntime,
        Some(FnArg::Receiver(receiver)) => {
            return Err(Error::new(
                receiver.span(),
                format!(
                    "#[wrangle::test] functions take no `self`: their one parameter, if any, is \
                     the runtime, {FORMS}"
                ),
            ));
        }
        Some(FnArg::Typed(typed)) if is_generic(&typed.ty, &sig.generics) => {
            Shape::Generic(typed.ty.span())
        }
        Some(FnArg::Typed(typed)) => Shape::Runtime(typed.ty.span()),
    };
    if let Some(extra) = inputs.next() {
        return Err(Error::new(
            extra.span(),
            format!("#[wrangle::test] functions take at most one parameter, the runtime: {FORMS}"),
        ));
    }
    Ok(shape)
}

fn is_test_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("test")
}

/// Attributes that belong on each generated `#[test]` rather than on the body.
fn is_harness_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("ignore") || attr.path().is_ident("should_panic")
}

/// Expands `#[wrangle::test(attr)] item`. On an error, the error and the item unchanged (so
/// the error is the only one reported).
pub(crate) fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    let parsed = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(parsed) => parsed,
        Err(err) => {
            let err = err.into_compile_error();
            return quote!(#err #item);
        }
    };
    match expand(attr, parsed) {
        Ok(tokens) => tokens,
        Err(err) => {
            let err = err.into_compile_error();
            quote!(#err #item)
        }
    }
}

fn expand(attr: TokenStream, mut item: ItemFn) -> syn::Result<TokenStream> {
    let args = parse_args(attr)?;
    let shape = check_fn(&item)?;

    let name = item.sig.ident.clone();
    let (harness_attrs, body_attrs): (Vec<Attribute>, Vec<Attribute>) =
        item.attrs.drain(..).partition(is_harness_attr);
    item.attrs = body_attrs;
    let cfg_attrs: Vec<&Attribute> = item
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"))
        .collect();

    // The body, once, as a plain function of an `AnyRuntime` with no output: the one place its
    // parameter and output are type-checked (in every build), so a mistake there is reported
    // once, at the parameter's type or the return type. In the generic form (`impl Runtime`),
    // the tests instead call the function with the concrete runtime, through a closure; this
    // function (with `AnyRuntime`, which is a `Runtime` too) still checks it in every build.
    let rt = Ident::new("rt", Span::mixed_site());
    let (param, call, concrete) = match shape {
        Shape::NoRuntime => (quote!(_), quote! { super::#name() }, false),
        Shape::Runtime(ty_span) => {
            let arg = Ident::new("rt", Span::mixed_site().located_at(ty_span));
            let call = quote_spanned!(ty_span=>
                super::#name(::wrangle::__private::runtime_param(#arg))
            );
            (quote!(#rt), call, false)
        }
        Shape::Generic(ty_span) => {
            let arg = Ident::new("rt", Span::mixed_site().located_at(ty_span));
            (
                quote!(#rt),
                quote_spanned!(ty_span=> super::#name(#arg)),
                true,
            )
        }
    };
    let output_span = match &item.sig.output {
        syn::ReturnType::Default => name.span(),
        syn::ReturnType::Type(_, ty) => ty.span(),
    };
    let checked = quote_spanned!(output_span=> ::wrangle::__private::checked(#call));
    let body_fn = quote! {
        #[allow(dead_code)]
        fn __wrangle_body(#param: ::wrangle::AnyRuntime) -> impl ::core::future::Future<Output = ()> {
            #checked
        }
    };
    let call = if concrete {
        quote!(|#rt| #checked)
    } else {
        quote!(__wrangle_body)
    };
    let seeds = args.seeds.map_or(1, |(seeds, _)| seeds);
    let (chosen, mode) = match &args.runtimes {
        Some(runtimes) => (runtimes.clone(), quote!(required)),
        None => (
            ALL.iter().map(|flavor| (*flavor, name.span())).collect(),
            quote!(optional),
        ),
    };
    let any_check = args
        .runtimes
        .is_none()
        .then(|| quote_spanned!(name.span()=> ::wrangle::__private::any_runtime!();));

    let tests = chosen.iter().map(|(flavor, span)| {
        let test_name = Ident::new(flavor.name(), *span);
        let gate = flavor.gate();
        let test_name_str = flavor.name();
        let helper = flavor.helper(concrete);
        let run = match flavor {
            Flavor::Sim => quote! {
                ::wrangle::__private::#helper(
                    &::wrangle::__private::TestId::new(
                        ::core::module_path!(),
                        #test_name_str,
                        ::core::option_env!("CARGO_PKG_NAME"),
                        ::core::option_env!("CARGO_CRATE_NAME"),
                    ),
                    #seeds,
                    #call,
                )
            },
            _ => quote! { ::wrangle::__private::#helper(#call) },
        };
        quote_spanned! {*span=>
            ::wrangle::__private::#gate! {
                #mode
                #[test]
                #(#harness_attrs)*
                pub(super) fn #test_name() {
                    #run
                }
            }
        }
    });

    Ok(quote! {
        #item

        #(#cfg_attrs)*
        #[doc = "The tests `#[wrangle::test]` generated, one per runtime."]
        mod #name {
            #any_check
            #body_fn
            #(#tests)*
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expansion's text, or the compile error's message.
    fn outcome(attr: TokenStream, item: TokenStream) -> Result<String, String> {
        let item = syn::parse2::<ItemFn>(item).map_err(|e| e.to_string())?;
        expand(attr, item)
            .map(|tokens| tokens.to_string())
            .map_err(|e| e.to_string())
    }

    fn error(attr: TokenStream, item: TokenStream) -> String {
        outcome(attr, item).expect_err("a compile error")
    }

    fn rt_fn() -> TokenStream {
        quote!(
            async fn t(rt: wrangle::AnyRuntime) {}
        )
    }

    #[test]
    fn every_runtime_by_default_each_optional() {
        let out = outcome(quote!(), rt_fn()).expect("expands");
        for (gate, name) in [
            ("if_tokio", "pub (super) fn tokio ()"),
            ("if_tokio", "pub (super) fn tokio_current_thread ()"),
            ("if_smol", "pub (super) fn smol ()"),
            ("if_async_std", "pub (super) fn async_std ()"),
            ("if_sim", "pub (super) fn sim ()"),
        ] {
            assert!(
                out.contains(&format!(
                    "__private :: {gate} ! {{ optional # [test] {name}"
                )),
                "{gate} / {name} in {out}"
            );
        }
        assert!(out.contains("any_runtime ! ()"));
        assert!(out.contains("mod t"));
        // One seed by default.
        assert!(out.contains("\"sim\" , :: core :: option_env ! (\"CARGO_PKG_NAME\")"));
        assert!(out.contains(", 1u64 ,"), "{out}");
    }

    #[test]
    fn chosen_runtimes_are_required_and_only_those() {
        let out = outcome(quote!(runtimes = [sim, smol], seeds = 100), rt_fn()).expect("expands");
        assert!(out.contains("if_sim ! { required"));
        assert!(out.contains("if_smol ! { required"));
        assert!(!out.contains("if_tokio") && !out.contains("if_async_std"));
        assert!(!out.contains("any_runtime"));
        assert!(out.contains(", 100u64 ,"), "{out}");
    }

    #[test]
    fn harness_attributes_go_to_each_test() {
        let out = outcome(
            quote!(runtimes = [sim]),
            quote!(
                #[should_panic(expected = "boom")]
                #[allow(unused)]
                async fn t() {}
            ),
        )
        .expect("expands");
        assert!(out.contains("# [test] # [should_panic (expected = \"boom\")] pub (super) fn sim"));
        assert!(out.contains("# [allow (unused)] async fn t ()"));
        assert!(out.contains("super :: t ()"));
    }

    #[test]
    fn any_runtime_form_uses_the_any_runtime_helpers() {
        let out = outcome(quote!(), rt_fn()).expect("expands");
        assert!(out.contains("super :: t (:: wrangle :: __private :: runtime_param (rt))"));
        for helper in ["tokio", "tokio_current_thread", "smol", "async_std"] {
            assert!(
                out.contains(&format!(
                    ":: wrangle :: __private :: {helper} (__wrangle_body)"
                )),
                "{helper} in {out}"
            );
        }
        assert!(out.contains(":: wrangle :: __private :: sim (&"));
        assert!(!out.contains("_with"), "{out}");
    }

    #[test]
    fn generic_forms_use_the_concrete_helpers() {
        for item in [
            quote!(
                async fn t(rt: impl wrangle::Runtime) {}
            ),
            quote!(
                async fn t<R: wrangle::Runtime>(rt: R) {}
            ),
            quote!(
                async fn t<R>(rt: R)
                where
                    R: wrangle::Runtime,
                {
                }
            ),
        ] {
            let out = outcome(quote!(seeds = 3), item).expect("expands");
            let closure = "(| rt | :: wrangle :: __private :: checked (super :: t (rt)))";
            for helper in [
                "tokio_with",
                "tokio_current_thread_with",
                "smol_with",
                "async_std_with",
            ] {
                assert!(
                    out.contains(&format!(":: wrangle :: __private :: {helper} {closure}")),
                    "{helper} in {out}"
                );
            }
            assert!(
                out.contains(
                    ":: wrangle :: __private :: sim_with (& :: wrangle :: __private :: TestId"
                ),
                "{out}"
            );
            assert!(
                out.contains(&format!(", 3u64 , {} ,)", &closure[1..closure.len() - 1])),
                "{out}"
            );
            // Still type-checked once with an `AnyRuntime`, in every build.
            assert!(out.contains("fn __wrangle_body (rt : :: wrangle :: AnyRuntime)"));
            assert!(!out.contains("runtime_param"));
        }
    }

    #[test]
    fn a_concrete_type_is_not_the_generic_form() {
        // `Sim` is not a type parameter: the `AnyRuntime` form, whose check rejects it.
        let out = outcome(
            quote!(),
            quote!(
                async fn t<R>(rt: wrangle::sim::Sim) {}
            ),
        )
        .expect("expands");
        assert!(out.contains("runtime_param"));
        assert!(!out.contains("_with"));
    }

    #[test]
    fn unknown_runtime() {
        assert_eq!(
            error(quote!(runtimes = [tokyo]), rt_fn()),
            "unknown runtime `tokyo`; expected one of `tokio`, `tokio_current_thread`, `smol`, \
             `async_std`, `sim`"
        );
    }

    #[test]
    fn duplicate_or_empty_runtimes() {
        assert_eq!(
            error(quote!(runtimes = [sim, sim]), rt_fn()),
            "runtime `sim` is listed twice"
        );
        assert!(error(quote!(runtimes = []), rt_fn()).starts_with("`runtimes` lists no runtime"));
        assert_eq!(
            error(quote!(runtimes = [sim], runtimes = [smol]), rt_fn()),
            "`runtimes` is given twice"
        );
    }

    #[test]
    fn unknown_key() {
        assert_eq!(
            error(quote!(seed = 3), rt_fn()),
            "unknown argument `seed`; expected `runtimes = [..]` or `seeds = N`"
        );
    }

    #[test]
    fn zero_seeds() {
        assert_eq!(
            error(quote!(seeds = 0), rt_fn()),
            "`seeds` must be at least 1: it is how many seeds the body runs with on sim"
        );
        assert_eq!(
            error(quote!(seeds = 2, seeds = 3), rt_fn()),
            "`seeds` is given twice"
        );
    }

    #[test]
    fn seeds_without_sim() {
        assert_eq!(
            error(quote!(runtimes = [smol], seeds = 10), rt_fn()),
            "`seeds` applies to sim, which `runtimes` leaves out; add `sim` to `runtimes`"
        );
    }

    #[test]
    fn not_async() {
        assert_eq!(
            error(
                quote!(),
                quote!(
                    fn t(rt: wrangle::AnyRuntime) {}
                )
            ),
            "#[wrangle::test] runs an `async fn`: write `async fn name(..)` with \
             `rt: wrangle::AnyRuntime`, `rt: impl wrangle::Runtime`, or `rt: R` with \
             `R: wrangle::Runtime`"
        );
    }

    #[test]
    fn wrong_parameters() {
        assert_eq!(
            error(
                quote!(),
                quote!(
                    async fn t(rt: wrangle::AnyRuntime, n: u32) {}
                )
            ),
            "#[wrangle::test] functions take at most one parameter, the runtime: \
             `rt: wrangle::AnyRuntime`, `rt: impl wrangle::Runtime`, or `rt: R` with \
             `R: wrangle::Runtime`"
        );
        assert!(
            error(
                quote!(),
                quote!(
                    async fn t(&self) {}
                )
            )
            .starts_with("#[wrangle::test] functions take no `self`")
        );
    }

    #[test]
    fn test_attribute_twice() {
        assert_eq!(
            error(
                quote!(),
                quote!(
                    #[test]
                    async fn t() {}
                )
            ),
            "remove this `#[test]`: #[wrangle::test] generates one test per runtime"
        );
    }

    #[test]
    fn errors_keep_the_item() {
        let out = test(quote!(seeds = 0), rt_fn()).to_string();
        assert!(out.contains("compile_error !"));
        assert!(out.contains("async fn t (rt : wrangle :: AnyRuntime) { }"));
    }
}
