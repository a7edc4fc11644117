using Microsoft.Extensions.Options;

namespace Kube.Store.Etcd.Client;

/// <summary>Fails host start-up with every problem in <see cref="EtcdClientOptions"/>, each naming the setting.</summary>
internal sealed class EtcdClientOptionsValidator : IValidateOptions<EtcdClientOptions>
{
    public ValidateOptionsResult Validate(string? name, EtcdClientOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
