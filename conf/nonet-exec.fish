# fish completion for nonet-exec(1)
complete -c nonet-exec -n '__fish_is_first_token' -a '(__fish_complete_command)'
# a family after each comma too: --allow=inet,net completes to inet,netlink
function __nonet_exec_families
    set --local done (string replace -r -- '^(--allow=|-a)' '' (commandline -ct) | string match -r -- '^.*,')
    for family in unix inet inet6 netlink packet vsock bluetooth can tipc xdp alg
        echo "$done$family"
    end
end
complete -c nonet-exec -s a -l allow -x -d 'also allow these families' -a '(__nonet_exec_families)'
complete -c nonet-exec -l errno -x -d 'errno of a refused socket()' -a 'eafnosupport eperm'
complete -c nonet-exec -l landlock -x -d 'the Landlock layer' -a 'auto require off'
complete -c nonet-exec -l unix -x -d 'how far unix sockets reach' -a 'all no-abstract listed'
complete -c nonet-exec -l unix-path -r -F -d 'with --unix=listed: a socket or directory kept'
complete -c nonet-exec -l dry-run -d 'refuse nothing: the kernel logs what would be'
complete -c nonet-exec -l log -d 'refuse, and have the kernel log each refusal'
complete -c nonet-exec -l trace -d 'refuse, and say each refusal on stderr'
complete -c nonet-exec -l inherited -x -d 'a held descriptor that could reach the network' -a 'refuse accept'
complete -c nonet-exec -l private-loopback -d 'a network namespace of its own with only lo'
complete -c nonet-exec -l brokers -x -a 'open closed' -d "the machine's brokers' sockets: open or masked"
complete -c nonet-exec -s u -l user -x -d "apply USER's policy from the table" -a '(__fish_complete_users)'
complete -c nonet-exec -l check-config -d 'check the table and settings'
complete -c nonet-exec -l table -r -F -d 'with --check-config or --user: this table'
complete -c nonet-exec -l settings -r -F -d 'with --check-config or --user: this settings file'
complete -c nonet-exec -l status -d 'report what restricts this process'
complete -c nonet-exec -l pid -x -d 'with --status: of process PID' -a '(__fish_complete_pids)'
complete -c nonet-exec -l all -d 'with --status: every process'
complete -c nonet-exec -l json -d 'with --status: one JSON object'
complete -c nonet-exec -l print-filter -f -d 'print the seccomp filter, or an OCI profile' -a 'pfc oci'
complete -c nonet-exec -l write-dbus-policy -r -F -d 'write the D-Bus policy the table gives'
complete -c nonet-exec -l base -r -F -d 'with --print-filter=oci: merge onto this profile'
complete -c nonet-exec -l runtime -x -d 'with --print-filter=oci: the runtime the profile is for' -a 'docker podman cri-o containerd runc crun'
complete -c nonet-exec -s v -l verbose -d 'say what is applied'
complete -c nonet-exec -s h -l help -d 'show the help'
complete -c nonet-exec -s V -l version -d 'show the version'
