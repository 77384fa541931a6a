with

source as (

    select * from {{ source('app', 'Client') }}

),

renamed as (

    select
        {{ adapter.quote('id') }} as workspace_id,
        {{ adapter.quote('name') }} as workspace_name,
        cast({{ adapter.quote('createdAt') }} as {{ dbt.type_timestamp() }}) as created_at

    from source

)

select * from renamed
