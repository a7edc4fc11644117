using Microsoft.Extensions.Options;

namespace Kube.Store.Hosting;

/// <summary>Fails host start-up with every problem in <see cref="StoreOptions"/>, each naming the setting.</summary>
internal sealed class StoreOptionsValidator : IValidateOptions<StoreOptions>
{
    public ValidateOptionsResult Validate(string? name, StoreOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
